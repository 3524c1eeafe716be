//! fastjson's dialect: integer map keys written without quotes (`{0:"127.0.0.1:10911"}`).
//!
//! fastjson writes a `Map<Long, _>` that way by default, so route data, cluster info and the
//! broker's offset files (§4.9) carry it. Standard JSON parsers reject it, so reading goes
//! through [`parse`], which quotes such keys first when — and only when — the plain parse
//! fails. Writing the dialect is done by hand for the few maps that need it
//! ([`write_int_key_map`]) or by unquoting serde's output at one nesting depth
//! ([`unquote_integer_keys`], for the broker's offset files); everything else is ordinary
//! serde output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{BodyError, JsonStyle};

/// Parses `bytes` as JSON of `T`, accepting fastjson's unquoted integer keys. `what` names the
/// body in the error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, BodyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BodyError::Utf8 { what })?;
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => match quote_integer_keys(text) {
            Cow::Owned(quoted) => serde_json::from_str(&quoted).map_err(|e| json_error(what, &e)),
            Cow::Borrowed(_) => Err(json_error(what, &first)),
        },
    }
}

fn json_error(what: &'static str, error: &serde_json::Error) -> BodyError {
    BodyError::Json {
        what,
        detail: error.to_string(),
    }
}

/// Quotes every object key that is a bare integer (`{0:` → `{"0":`). Text inside strings is
/// left alone; a bare integer followed by anything but `:` is a value, not a key. Borrowed when
/// nothing needed quoting.
pub fn quote_integer_keys(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out`
    let mut in_string = false;
    let mut escaped = false;
    let mut key_may_start = false; // just after `{` or `,` (and whitespace)
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if key_may_start && (b.is_ascii_digit() || b == b'-') {
            if let Some(end) = bare_key_end(bytes, i) {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                out.push_str(&text[copied..i]);
                out.push('"');
                out.push_str(&text[i..end]);
                out.push('"');
                copied = end;
                i = end;
                key_may_start = false;
                continue;
            }
        }
        match b {
            b'"' => {
                in_string = true;
                key_may_start = false;
            }
            b'{' | b',' => key_may_start = true,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => key_may_start = false,
        }
        i += 1;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// If an integer starting at `start` is followed (after whitespace) by `:`, the end of the
/// integer.
fn bare_key_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut end = start + 1;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if !bytes[start..end].iter().any(u8::is_ascii_digit) {
        return None;
    }
    let mut after = end;
    while after < bytes.len() && bytes[after].is_ascii_whitespace() {
        after += 1;
    }
    (bytes.get(after) == Some(&b':')).then_some(end)
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

/// Writes `map` as a JSON object in key order, with keys quoted or not according to `style`.
pub fn write_int_key_map(out: &mut String, map: &BTreeMap<i64, String>, style: JsonStyle) {
    out.push('{');
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        match style {
            JsonStyle::Standard => write!(out, "\"{key}\":"),
            JsonStyle::Fastjson => write!(out, "{key}:"),
        }
        .expect("writing to a String cannot fail");
        push_json(out, value);
    }
    out.push('}');
}

/// Appends `value` as serde_json writes it.
pub fn push_json<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    // Our bodies hold strings, numbers and string-keyed maps: serializing cannot fail.
    out.push_str(&serde_json::to_string(value).expect("a body value serializes"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn quotes_only_bare_integer_keys() {
        let text = r#"{0:"a", 12 :"b","x":[1, 2,{-3:"c"}],"s":"{4:\"no\"}"}"#;
        let quoted = quote_integer_keys(text);
        assert_eq!(
            quoted,
            r#"{"0":"a", "12" :"b","x":[1, 2,{"-3":"c"}],"s":"{4:\"no\"}"}"#
        );
        let plain = r#"{"0":"a","n":[1,2]}"#;
        assert!(matches!(quote_integer_keys(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn parse_accepts_both_forms() {
        let a: BTreeMap<i64, String> = parse(br#"{0:"m",1:"s"}"#, "t").unwrap();
        let b: BTreeMap<i64, String> = parse(br#"{"0":"m","1":"s"}"#, "t").unwrap();
        assert_eq!(a, b);
        let bad = parse::<Value>(b"{0:", "t").unwrap_err();
        assert!(matches!(bad, BodyError::Json { what: "t", .. }), "{bad}");
        let not_utf8 = parse::<Value>(&[0xff, 0xfe], "t").unwrap_err();
        assert_eq!(not_utf8, BodyError::Utf8 { what: "t" });
    }

    #[test]
    fn writes_int_keys_in_both_styles() {
        let map: BTreeMap<i64, String> = [(1, "s".to_string()), (0, "m\"".to_string())].into();
        let mut standard = String::new();
        write_int_key_map(&mut standard, &map, JsonStyle::Standard);
        assert_eq!(standard, r#"{"0":"m\"","1":"s"}"#);
        let mut fastjson = String::new();
        write_int_key_map(&mut fastjson, &map, JsonStyle::Fastjson);
        assert_eq!(fastjson, r#"{0:"m\"",1:"s"}"#);
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
