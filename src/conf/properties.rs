//! Java's `.properties` text format, as `java.util.Properties.load` reads `broker.conf`:
//! one `key=value`, `key:value` or `key value` per logical line; `#` and `!` start comments;
//! a line ending in an odd number of backslashes continues on the next (leading whitespace of
//! the continuation dropped); escapes `\t \n \r \f \uXXXX`, any other `\c` is `c`. Whitespace
//! around the separator is dropped, trailing whitespace of the value kept (Java does).
//!
//! Unlike Java, a repeated key is kept in order (the last one wins when applied), and every
//! entry carries its line number so that errors can name it. A bad `\u` escape is an error
//! (Java throws too). Limits: 1 MiB of text, 10 000 entries.

use std::fmt;

/// Largest file accepted.
pub const TEXT_BYTES_MAX: usize = 1024 * 1024;
/// Entries accepted at most.
pub const ENTRIES_MAX: usize = 10_000;

/// One `key=value` with the (1-based) line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PropertiesError {
    #[error("the file is {len} bytes; at most {max} are read")]
    TooLarge { len: usize, max: usize },
    #[error("line {line}: more than {max} entries")]
    TooManyEntries { line: usize, max: usize },
    #[error("line {line}: malformed \\uXXXX escape")]
    BadEscape { line: usize },
}

/// Parses the whole text.
pub fn parse(text: &str) -> Result<Vec<Entry>, PropertiesError> {
    if text.len() > TEXT_BYTES_MAX {
        let (len, max) = (text.len(), TEXT_BYTES_MAX);
        return Err(PropertiesError::TooLarge { len, max });
    }
    let mut entries = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((index, first)) = lines.next() {
        let line = index + 1;
        let first = first.trim_start_matches([' ', '\t', '\x0c']);
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        // Join continuation lines.
        let mut logical = String::from(first);
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start_matches([' ', '\t', '\x0c'])),
                None => break,
            }
        }
        if entries.len() == ENTRIES_MAX {
            let max = ENTRIES_MAX;
            return Err(PropertiesError::TooManyEntries { line, max });
        }
        let (key, value) = split(&logical);
        entries.push(Entry {
            key: unescape(key, line)?,
            value: unescape(value, line)?,
            line,
        });
    }
    Ok(entries)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or whitespace; the separator and the whitespace
/// around it go.
fn split(logical: &str) -> (&str, &str) {
    let bytes = logical.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' | b'\x0c' => break,
            _ => i += 1,
        }
    }
    let i = i.min(bytes.len());
    let key = &logical[..i];
    let mut rest = logical[i..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(after) = rest.strip_prefix(['=', ':']) {
        rest = after.trim_start_matches([' ', '\t', '\x0c']);
    }
    (key, rest)
}

fn unescape(s: &str, line: usize) -> Result<String, PropertiesError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or(PropertiesError::BadEscape { line })?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        parse(text)
            .expect("parses")
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn p(k: &str, v: &str, line: usize) -> (String, String, usize) {
        (k.into(), v.into(), line)
    }

    #[test]
    fn the_shipped_broker_conf_shape() {
        let text = "# comment\nbrokerClusterName = DefaultCluster\nbrokerName=broker-a\n\n! also\nbrokerId = 0\ndeleteWhen = 04\nflushDiskType = ASYNC_FLUSH\n";
        assert_eq!(
            pairs(text),
            [
                p("brokerClusterName", "DefaultCluster", 2),
                p("brokerName", "broker-a", 3),
                p("brokerId", "0", 6),
                p("deleteWhen", "04", 7),
                p("flushDiskType", "ASYNC_FLUSH", 8),
            ]
        );
    }

    #[test]
    fn separators_whitespace_and_empty_values() {
        assert_eq!(
            pairs("a:1\nb 2\n  c  =  3  \nd\ne=\n\tf\t=x=y"),
            [
                p("a", "1", 1),
                p("b", "2", 2),
                p("c", "3  ", 3),
                p("d", "", 4),
                p("e", "", 5),
                p("f", "x=y", 6),
            ]
        );
    }

    #[test]
    fn continuations_and_escapes() {
        let text = "namesrvAddr=10.0.0.1:9876;\\\n    10.0.0.2:9876\nkey\\=with\\:seps = v\\tw\\u0041\\\\\nlast=\\\n";
        assert_eq!(
            pairs(text),
            [
                p("namesrvAddr", "10.0.0.1:9876;10.0.0.2:9876", 1),
                p("key=with:seps", "v\twA\\", 3),
                p("last", "", 4),
            ]
        );
    }

    #[test]
    fn bad_unicode_escape_names_its_line() {
        assert_eq!(
            parse("a=1\nb=\\u12G4"),
            Err(PropertiesError::BadEscape { line: 2 })
        );
        assert_eq!(
            parse("b=\\u12"),
            Err(PropertiesError::BadEscape { line: 1 })
        );
    }

    #[test]
    fn limits() {
        let big = "x".repeat(TEXT_BYTES_MAX + 1);
        assert!(matches!(parse(&big), Err(PropertiesError::TooLarge { .. })));
        let many = "k=v\n".repeat(ENTRIES_MAX + 1);
        assert!(matches!(
            parse(&many),
            Err(PropertiesError::TooManyEntries { line, .. }) if line == ENTRIES_MAX + 1
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse(&text);
        }
    }
}
