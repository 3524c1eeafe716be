//! Bad input, case by case: each malformed frame is rejected with the typed reason and the
//! offset of the offending field, before anything of the declared size is buffered.

use rocketsim::protocol::frame::{
    decode, peek_len, EXT_FIELDS_MAX, EXT_KEY_BYTES_MAX, FRAME_BYTES_MAX, HEADER_BYTES_MAX,
};
use rocketsim::protocol::{DecodeError, InvalidReason};

fn invalid(src: &[u8]) -> (usize, &'static str, InvalidReason) {
    match decode(src) {
        Err(DecodeError::Invalid { at, what, why }) => (at, what, why),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A frame with the given serialize type byte and header, lengths filled in correctly.
fn frame(ser: u8, header: &[u8]) -> Vec<u8> {
    let mut out = ((4 + header.len()) as u32).to_be_bytes().to_vec();
    out.push(ser);
    out.extend_from_slice(&(header.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(header);
    out
}

/// The fixed part of a binary header: code 0, JAVA, version 0, opaque 0, flag 0.
fn binary_fixed() -> Vec<u8> {
    vec![0; 13]
}

#[test]
fn oversized_frame_is_rejected_from_its_length_alone() {
    let src = [0x01, 0x00, 0x00, 0x01]; // 16 MiB + 1, and nothing else arrived
    let why = InvalidReason::TooLarge {
        len: FRAME_BYTES_MAX + 1,
        max: FRAME_BYTES_MAX,
    };
    assert_eq!(invalid(&src), (0, "frame length", why.clone()));
    assert_eq!(
        peek_len(&src),
        Err(DecodeError::Invalid {
            at: 0,
            what: "frame length",
            why
        })
    );
    assert!(matches!(
        invalid(&[0x7F, 0xFF, 0xFF, 0xFF]).2,
        InvalidReason::TooLarge { .. }
    ));
    // Even the first byte alone can already be known too large.
    assert!(matches!(
        invalid(&[0x01, 0x00, 0x01]).2,
        InvalidReason::TooLarge { .. }
    ));
}

#[test]
fn exactly_the_limit_is_accepted_as_incomplete() {
    let src = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    assert_eq!(peek_len(&src), Ok(Some(FRAME_BYTES_MAX + 4)));
    assert_eq!(
        decode(&src),
        Err(DecodeError::Incomplete {
            needed: FRAME_BYTES_MAX - 4
        })
    );
}

#[test]
fn negative_and_too_small_lengths() {
    assert_eq!(
        invalid(&[0xFF, 0xFF, 0xFF, 0xFE]),
        (0, "frame length", InvalidReason::Negative)
    );
    assert_eq!(invalid(&[0x80]).2, InvalidReason::Negative);
    assert_eq!(
        invalid(&[0, 0, 0, 3]),
        (
            0,
            "frame length",
            InvalidReason::TooSmall { len: 3, min: 4 }
        )
    );
    assert_eq!(peek_len(&[0, 0, 0]), Ok(None));
}

#[test]
fn header_length_past_the_frame() {
    let src = [0, 0, 0, 8, 0x00, 0, 0, 5, b'{', b'}', b' ', b' '];
    assert_eq!(
        invalid(&src),
        (5, "header length", InvalidReason::LengthPastEnd)
    );
    // Known as soon as the prefix is there, before the rest of the frame.
    assert_eq!(invalid(&src[..8]).2, InvalidReason::LengthPastEnd);
}

#[test]
fn header_over_its_limit() {
    let header_len = HEADER_BYTES_MAX + 1;
    let mut src = ((4 + header_len) as u32).to_be_bytes().to_vec();
    src.push(0);
    src.extend_from_slice(&(header_len as u32).to_be_bytes()[1..]);
    let why = InvalidReason::TooLarge {
        len: header_len,
        max: HEADER_BYTES_MAX,
    };
    assert_eq!(invalid(&src), (5, "header length", why));
}

#[test]
fn unknown_serialize_type() {
    let src = frame(2, b"{}");
    assert_eq!(
        invalid(&src),
        (4, "serialize type", InvalidReason::UnknownSerializeType(2))
    );
    assert_eq!(invalid(&src[..5]).2, InvalidReason::UnknownSerializeType(2));
}

#[test]
fn json_invalid_utf8() {
    let src = frame(0, b"{\"remark\":\"\xC3\x28\"}");
    assert_eq!(invalid(&src), (8 + 11, "header", InvalidReason::Utf8));
}

#[test]
fn bad_json() {
    for text in [
        &b"{\"code\":"[..],
        b"[310, 0]",
        b"",
        b"{\"code\":\"abc\"}",
        b"{\"code\":4294967296}",
        b"{\"extFields\":{\"a\":{\"nested\":1}}}",
        b"{\"extFields\":[1]}",
        b"{} trailing",
    ] {
        let (at, what, why) = invalid(&frame(0, text));
        assert_eq!(
            (at, what),
            (8, "header"),
            "{:?}",
            String::from_utf8_lossy(text)
        );
        assert!(matches!(why, InvalidReason::Json(_)), "{why:?}");
    }
}

#[test]
fn json_ext_limits() {
    let fields: Vec<String> = (0..=EXT_FIELDS_MAX)
        .map(|i| format!("\"k{i}\":\"v\""))
        .collect();
    let text = format!("{{\"extFields\":{{{}}}}}", fields.join(","));
    let why = InvalidReason::TooLarge {
        len: EXT_FIELDS_MAX + 1,
        max: EXT_FIELDS_MAX,
    };
    assert_eq!(
        invalid(&frame(0, text.as_bytes())),
        (8, "ext field count", why)
    );

    let key = "k".repeat(EXT_KEY_BYTES_MAX + 1);
    let text = format!("{{\"extFields\":{{\"{key}\":\"v\"}}}}");
    assert_eq!(invalid(&frame(0, text.as_bytes())).1, "ext field key");
}

#[test]
fn binary_header_truncated_in_fixed_fields() {
    let src = frame(1, &[0, 10, 0]);
    assert_eq!(
        invalid(&src),
        (8 + 3, "version", InvalidReason::LengthPastEnd)
    );
}

#[test]
fn binary_remark_lengths() {
    let mut header = binary_fixed();
    header.extend_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(
        invalid(&frame(1, &header)),
        (8 + 13, "remark length", InvalidReason::Negative)
    );

    let mut header = binary_fixed();
    header.extend_from_slice(&100i32.to_be_bytes());
    header.extend_from_slice(b"short");
    assert_eq!(
        invalid(&frame(1, &header)),
        (8 + 13, "remark length", InvalidReason::LengthPastEnd)
    );
}

#[test]
fn binary_remark_invalid_utf8() {
    let mut header = binary_fixed();
    header.extend_from_slice(&3i32.to_be_bytes());
    header.extend_from_slice(b"a\xFFb");
    header.extend_from_slice(&0i32.to_be_bytes());
    assert_eq!(
        invalid(&frame(1, &header)),
        (8 + 17 + 1, "remark", InvalidReason::Utf8)
    );
}

fn binary_with_ext(ext: &[u8]) -> Vec<u8> {
    let mut header = binary_fixed();
    header.extend_from_slice(&0i32.to_be_bytes());
    header.extend_from_slice(&(ext.len() as i32).to_be_bytes());
    header.extend_from_slice(ext);
    frame(1, &header)
}

/// The ext area starts at frame offset 8 + 13 + 4 + 4 = 29.
const EXT_AT: usize = 29;

#[test]
fn binary_ext_key_invalid_utf8() {
    let ext = [0, 2, 0xC0, 0x80, 0, 0, 0, 1, b'v'];
    assert_eq!(
        invalid(&binary_with_ext(&ext)),
        (EXT_AT + 2, "ext key", InvalidReason::Utf8)
    );
}

#[test]
fn binary_ext_value_invalid_utf8() {
    let ext = [0, 1, b'k', 0, 0, 0, 1, 0xFF];
    assert_eq!(
        invalid(&binary_with_ext(&ext)),
        (EXT_AT + 7, "ext value", InvalidReason::Utf8)
    );
}

#[test]
fn binary_ext_lengths() {
    // Value length runs past the ext area.
    let ext = [0, 1, b'k', 0, 0, 0, 9, b'v'];
    assert_eq!(
        invalid(&binary_with_ext(&ext)),
        (EXT_AT + 3, "ext value length", InvalidReason::LengthPastEnd)
    );
    // Negative key length.
    let ext = [0xFF, 0xFF, b'k'];
    assert_eq!(
        invalid(&binary_with_ext(&ext)),
        (EXT_AT, "ext key length", InvalidReason::Negative)
    );
    // An entry cut in the middle of its value length.
    let ext = [0, 1, b'k', 0, 0];
    assert_eq!(
        invalid(&binary_with_ext(&ext)).2,
        InvalidReason::LengthPastEnd
    );
    // Key over its limit (int16 allows more than we accept).
    let mut ext = ((EXT_KEY_BYTES_MAX + 1) as u16).to_be_bytes().to_vec();
    ext.extend(std::iter::repeat_n(b'k', EXT_KEY_BYTES_MAX + 1));
    let why = InvalidReason::TooLarge {
        len: EXT_KEY_BYTES_MAX + 1,
        max: EXT_KEY_BYTES_MAX,
    };
    assert_eq!(
        invalid(&binary_with_ext(&ext)),
        (EXT_AT, "ext key length", why)
    );
    // Ext area longer than the header.
    let mut header = binary_fixed();
    header.extend_from_slice(&0i32.to_be_bytes());
    header.extend_from_slice(&50i32.to_be_bytes());
    assert_eq!(
        invalid(&frame(1, &header)),
        (8 + 17, "ext fields length", InvalidReason::LengthPastEnd)
    );
}

#[test]
fn binary_ext_count_limit() {
    let mut ext = Vec::new();
    for _ in 0..=EXT_FIELDS_MAX {
        ext.extend_from_slice(&[0, 1, b'k', 0, 0, 0, 1, b'v']);
    }
    let (_, what, why) = invalid(&binary_with_ext(&ext));
    assert_eq!(what, "ext field count");
    assert_eq!(
        why,
        InvalidReason::TooLarge {
            len: EXT_FIELDS_MAX + 1,
            max: EXT_FIELDS_MAX
        }
    );
}

#[test]
fn errors_display_their_field_and_reason() {
    let err = decode(&[0xFF, 0, 0, 0]).expect_err("negative");
    assert_eq!(
        err.to_string(),
        "invalid frame: frame length at byte 0: negative length"
    );
}
