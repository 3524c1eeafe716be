//! The sender's implementation language (`LanguageCode`, §1.2). Informational only: servers log
//! it and a few branch on it, so decoding is lenient — anything unknown becomes `Other`.

/// Declaration order is the wire ordinal (`language` byte of the binary header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    /// Java's default for a command that names no language, so also ours.
    #[default]
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
}

const ALL: [(LanguageCode, &str); 14] = [
    (LanguageCode::Java, "JAVA"),
    (LanguageCode::Cpp, "CPP"),
    (LanguageCode::Dotnet, "DOTNET"),
    (LanguageCode::Python, "PYTHON"),
    (LanguageCode::Delphi, "DELPHI"),
    (LanguageCode::Erlang, "ERLANG"),
    (LanguageCode::Ruby, "RUBY"),
    (LanguageCode::Other, "OTHER"),
    (LanguageCode::Http, "HTTP"),
    (LanguageCode::Go, "GO"),
    (LanguageCode::Php, "PHP"),
    (LanguageCode::Oms, "OMS"),
    (LanguageCode::Rust, "RUST"),
    (LanguageCode::NodeJs, "NODE_JS"),
];

impl LanguageCode {
    /// The wire ordinal.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The enum name fastjson writes, e.g. `"JAVA"`.
    pub fn name(self) -> &'static str {
        ALL[self as usize].1
    }

    /// From the wire ordinal; unknown ordinals are `Other`.
    pub fn from_byte(byte: u8) -> Self {
        ALL.get(usize::from(byte))
            .map_or(LanguageCode::Other, |(code, _)| *code)
    }

    /// From the enum name (exact, as Java writes it); unknown names are `Other`.
    pub fn from_name(name: &str) -> Self {
        ALL.iter()
            .find(|(_, n)| *n == name)
            .map_or(LanguageCode::Other, |(code, _)| *code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_match_the_reference() {
        assert_eq!(LanguageCode::Java.code(), 0);
        assert_eq!(LanguageCode::Other.code(), 7);
        assert_eq!(LanguageCode::Go.code(), 9);
        assert_eq!(LanguageCode::NodeJs.code(), 13);
        for (code, name) in ALL {
            assert_eq!(LanguageCode::from_byte(code.code()), code);
            assert_eq!(LanguageCode::from_name(name), code);
            assert_eq!(code.name(), name);
        }
    }

    #[test]
    fn unknown_is_other() {
        assert_eq!(LanguageCode::from_byte(14), LanguageCode::Other);
        assert_eq!(LanguageCode::from_byte(255), LanguageCode::Other);
        assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::Other);
    }
}
