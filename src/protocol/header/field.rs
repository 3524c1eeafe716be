//! Reading and writing single ext fields as Java's header codec does: values are the text of
//! Java's `toString()`; a missing key is null.

use std::fmt::Display;

use crate::protocol::{ExtFields, HeaderError};

/// A type an ext field can hold.
pub(super) trait FieldValue: Sized {
    fn parse(text: &str) -> Option<Self>;
}

impl FieldValue for String {
    fn parse(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl FieldValue for i32 {
    fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl FieldValue for i64 {
    fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// Java writes `true`/`false`; the C++ client writes `1`/`0` (§11). Any case.
impl FieldValue for bool {
    fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("true") || text == "1" {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            Some(false)
        } else {
            None
        }
    }
}

/// A CRC32 travels as a Java `int` (signed); accept the unsigned spelling too.
impl FieldValue for u32 {
    fn parse(text: &str) -> Option<Self> {
        let wide: i64 = text.parse().ok()?;
        i32::try_from(wide)
            .map(|signed| signed as u32)
            .ok()
            .or_else(|| u32::try_from(wide).ok())
    }
}

/// A required field.
pub(super) fn req<T: FieldValue>(ext: &ExtFields, field: &'static str) -> Result<T, HeaderError> {
    opt(ext, field)?.ok_or(HeaderError::Missing { field })
}

/// An optional field: absent is `None`, present but unparsable is an error.
pub(super) fn opt<T: FieldValue>(
    ext: &ExtFields,
    field: &'static str,
) -> Result<Option<T>, HeaderError> {
    let Some(text) = ext.get(field) else {
        return Ok(None);
    };
    T::parse(text)
        .map(Some)
        .ok_or_else(|| HeaderError::Invalid {
            field,
            value: text.to_owned(),
        })
}

pub(super) fn put(ext: &mut ExtFields, field: &'static str, value: impl Display) {
    ext.insert(field, value.to_string());
}

pub(super) fn put_opt(ext: &mut ExtFields, field: &'static str, value: Option<impl Display>) {
    if let Some(value) = value {
        put(ext, field, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_lenient() {
        for t in ["true", "TRUE", "True", "1"] {
            assert_eq!(bool::parse(t), Some(true), "{t}");
        }
        for f in ["false", "FALSE", "fAlSe", "0"] {
            assert_eq!(bool::parse(f), Some(false), "{f}");
        }
        assert_eq!(bool::parse("yes"), None);
        assert_eq!(bool::parse(""), None);
    }

    #[test]
    fn crc_as_java_int() {
        assert_eq!(u32::parse("-1"), Some(u32::MAX));
        assert_eq!(u32::parse("4294967295"), Some(u32::MAX));
        assert_eq!(u32::parse("4294967296"), None);
    }

    #[test]
    fn missing_and_invalid() {
        let ext: ExtFields = [("queueId", "x")].into_iter().collect();
        assert_eq!(
            req::<i32>(&ext, "topic").map_err(|e| e.to_string()),
            Err("missing header field topic".to_owned())
        );
        assert_eq!(
            req::<i32>(&ext, "queueId"),
            Err(HeaderError::Invalid {
                field: "queueId",
                value: "x".to_owned()
            })
        );
        assert_eq!(opt::<i64>(&ext, "offset"), Ok(None));
    }
}
