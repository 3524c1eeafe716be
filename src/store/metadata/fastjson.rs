//! fastjson's one deviation from JSON that matters here (§2.5, §4.9): maps with integer keys
//! are written with the keys unquoted (`{0:123,1:456}`). Reading accepts both forms by quoting
//! bare integer keys before handing the text to serde_json; writing unquotes the keys of the
//! objects at one nesting depth, which is where the files keep their integer-keyed maps.
//!
//! Both are single passes over the text that track strings (with escapes) and, per open
//! object, whether a key is expected; they never look inside strings.

/// Quotes every bare integer object key: `{0:1}` → `{"0":1}`.
pub fn quote_integer_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut stack: Vec<bool> = Vec::new(); // true = object
    let mut expect_key = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(c);
                copy_string(&mut chars, &mut out);
                expect_key = false;
            }
            '{' => {
                stack.push(true);
                expect_key = true;
                out.push(c);
            }
            '[' => {
                stack.push(false);
                expect_key = false;
                out.push(c);
            }
            '}' | ']' => {
                stack.pop();
                expect_key = false;
                out.push(c);
            }
            ',' => {
                expect_key = stack.last() == Some(&true);
                out.push(c);
            }
            c if expect_key && (c.is_ascii_digit() || c == '-') => {
                out.push('"');
                out.push(c);
                while let Some(&d) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    out.push(d);
                    chars.next();
                }
                out.push('"');
                expect_key = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// Unquotes integer keys of objects at `depth` (the outermost object is depth 1).
pub fn unquote_integer_keys(text: &str, depth: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut s = String::new();
                copy_string(&mut chars, &mut s);
                let key = &s[..s.len() - 1];
                let integer = !key.is_empty()
                    && key
                        .trim_start_matches('-')
                        .chars()
                        .all(|d| d.is_ascii_digit())
                    && key != "-";
                if expect_key && stack.len() == depth && integer {
                    out.push_str(key);
                } else {
                    out.push('"');
                    out.push_str(&s);
                }
                expect_key = false;
            }
            '{' => {
                stack.push(true);
                expect_key = true;
                out.push(c);
            }
            '[' => {
                stack.push(false);
                expect_key = false;
                out.push(c);
            }
            '}' | ']' => {
                stack.pop();
                out.push(c);
            }
            ',' => {
                expect_key = stack.last() == Some(&true);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Copies the rest of a string (after its opening quote) including the closing quote.
fn copy_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    let mut escaped = false;
    for c in chars.by_ref() {
        out.push(c);
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_integer_keys_are_quoted_outside_strings_only() {
        let text = r#"{"offsetTable":{"T@G":{0:123,1:456}},"s":"{0:1}"}"#;
        assert_eq!(
            quote_integer_keys(text),
            r#"{"offsetTable":{"T@G":{"0":123,"1":456}},"s":"{0:1}"}"#
        );
        assert_eq!(
            quote_integer_keys(r#"{"a":[1,2],-1:3}"#),
            r#"{"a":[1,2],"-1":3}"#
        );
    }

    #[test]
    fn integer_keys_at_a_depth_are_unquoted() {
        let text = r#"{"offsetTable":{"123":{"0":1,"1":2}}}"#;
        assert_eq!(
            unquote_integer_keys(text, 3),
            r#"{"offsetTable":{"123":{0:1,1:2}}}"#
        );
        assert_eq!(quote_integer_keys(&unquote_integer_keys(text, 3)), text);
    }
}
