//! Property tests: the frame decoder never panics, whatever the bytes, and `Incomplete` means
//! exactly "a strict prefix of a frame". Inputs are random bytes, random bytes behind a
//! plausible prefix (to reach the header parsers), and valid frames in both encodings that are
//! then truncated, bit-flipped or given altered length fields.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketsim::protocol::frame::{decode, decode_buf, encode, peek_len};
use rocketsim::protocol::{
    DecodeError, ExtFields, Kind, LanguageCode, RemotingCommand, RequestCode, ResponseCode,
    SerializeType,
};

/// Checks what holds for any input: no panic (implicit), a consistent result, and for a frame
/// that decodes, every strict prefix is `Incomplete` with the exact number of missing bytes.
fn check_any(src: &[u8]) {
    match decode(src) {
        Ok((cmd, used)) => {
            assert!(used <= src.len() && used >= 8);
            assert_eq!(peek_len(src), Ok(Some(used)));
            for cut in [0, 1, 3, 4, 5, 8, used / 2, used - 1] {
                let cut = cut.min(used - 1);
                let needed = if cut < 4 { 4 - cut } else { used - cut };
                assert_eq!(
                    decode(&src[..cut]),
                    Err(DecodeError::Incomplete { needed }),
                    "prefix {cut} of {used}"
                );
            }
            let mut buf = BytesMut::from(src);
            assert_eq!(decode_buf(&mut buf), Ok(Some(cmd)));
            assert_eq!(buf.len(), src.len() - used);
        }
        Err(DecodeError::Incomplete { needed }) => {
            assert!(needed > 0);
            let mut buf = BytesMut::from(src);
            assert_eq!(decode_buf(&mut buf), Ok(None));
            assert_eq!(buf.len(), src.len(), "nothing consumed");
        }
        Err(DecodeError::Invalid { .. }) => {
            let mut buf = BytesMut::from(src);
            assert!(decode_buf(&mut buf).is_err());
        }
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (any::<i16>(), any::<bool>()).prop_map(|(c, oneway)| Kind::Request {
            code: RequestCode(i32::from(c)),
            oneway
        }),
        any::<i16>().prop_map(|c| Kind::Response {
            code: ResponseCode(i32::from(c))
        }),
    ]
}

fn command() -> impl Strategy<Value = RemotingCommand> {
    (
        kind(),
        0u8..14,
        any::<i16>(),
        any::<i32>(),
        proptest::option::of(".{0,40}"),
        proptest::collection::btree_map("[a-zA-Z_]{1,12}", ".{0,40}", 0..10),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(
            |(kind, lang, version, opaque, remark, ext, body)| RemotingCommand {
                kind,
                language: LanguageCode::from_byte(lang),
                version: i32::from(version),
                opaque,
                remark,
                ext_fields: ExtFields::from(ext),
                body: Bytes::from(body),
            },
        )
}

/// What survives the binary header: zero-length strings are null there.
fn binary_view(cmd: &RemotingCommand) -> RemotingCommand {
    let mut out = cmd.clone();
    out.remark = cmd.remark.clone().filter(|r| !r.is_empty());
    out.ext_fields = cmd
        .ext_fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    out
}

fn encoding() -> impl Strategy<Value = SerializeType> {
    prop_oneof![Just(SerializeType::Json), Just(SerializeType::RocketMq)]
}

fn encoded(cmd: &RemotingCommand, ser: SerializeType) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode(cmd, ser, &mut buf).expect("a generated command encodes");
    buf.to_vec()
}

/// A mutation of a valid frame.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { keep: usize },
    Length { value: u32 },
    HeaderLength { value: u32 },
    Splice { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        any::<u32>().prop_map(|value| Mutation::Length { value }),
        (0u32..0x0100_0000).prop_map(|value| Mutation::HeaderLength { value }),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Splice { at, bytes }),
    ]
}

fn apply(mut frame: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = frame.len();
    match m {
        Mutation::Flip { at, mask } => frame[at % len] ^= mask,
        Mutation::Truncate { keep } => frame.truncate(keep % len),
        Mutation::Length { value } => frame[..4].copy_from_slice(&value.to_be_bytes()),
        Mutation::HeaderLength { value } => frame[5..8].copy_from_slice(&value.to_be_bytes()[1..]),
        Mutation::Splice { at, bytes } => {
            let at = at % len;
            let end = (at + bytes.len()).min(len);
            frame[at..end].copy_from_slice(&bytes[..end - at]);
        }
    }
    frame
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(src in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_any(&src);
    }

    /// A consistent 8-byte prefix in front of random bytes, so the header parsers see them.
    #[test]
    fn random_headers_never_panic(
        ser in 0u8..=2,
        header in proptest::collection::vec(any::<u8>(), 0..300),
        body in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut src = ((4 + header.len() + body.len()) as u32).to_be_bytes().to_vec();
        src.push(ser);
        src.extend_from_slice(&(header.len() as u32).to_be_bytes()[1..]);
        src.extend_from_slice(&header);
        src.extend_from_slice(&body);
        check_any(&src);
    }

    /// JSON-looking headers exercise serde's paths rather than the UTF-8 check.
    #[test]
    fn random_json_headers_never_panic(text in r#"\{("[a-zA-Z]{1,10}":([0-9-]{1,12}|"[^"]{0,8}"|true|null|\{\}|\[\]),?){0,6}\}?"#) {
        let mut src = ((4 + text.len()) as u32).to_be_bytes().to_vec();
        src.push(0);
        src.extend_from_slice(&(text.len() as u32).to_be_bytes()[1..]);
        src.extend_from_slice(text.as_bytes());
        check_any(&src);
    }

    #[test]
    fn valid_frames_round_trip_and_prefixes_are_incomplete(cmd in command(), ser in encoding()) {
        let frame = encoded(&cmd, ser);
        let expected = match ser {
            SerializeType::Json => cmd.clone(),
            SerializeType::RocketMq => binary_view(&cmd),
        };
        prop_assert_eq!(decode(&frame), Ok((expected, frame.len())));
        for cut in 0..frame.len() {
            let needed = if cut < 4 { 4 - cut } else { frame.len() - cut };
            prop_assert_eq!(decode(&frame[..cut]).err(), Some(DecodeError::Incomplete { needed }));
        }
        check_any(&frame);
    }

    #[test]
    fn mutated_frames_never_panic(
        cmd in command(),
        ser in encoding(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut frame = encoded(&cmd, ser);
        for m in &mutations {
            if frame.len() < 8 {
                break;
            }
            frame = apply(frame, m);
        }
        check_any(&frame);
    }
}
