//! Golden bytes written by hand from the field tables in §5.8, not from the encoders.

use super::*;

#[test]
fn slave_handshake_is_state_two_shorts_and_the_broker_id() {
    let golden: [u8; 16] = [
        0, 0, 0, 1, // state HANDSHAKE
        0, 1, // isSyncFromLastFile
        0, 0, // isAsyncLearner
        0, 0, 0, 0, 0, 0, 0, 7, // slaveBrokerId
    ];
    assert_eq!(encode_handshake(true, false, 7), golden);
    let msg = SlaveMsg::Handshake {
        sync_from_last_file: true,
        async_learner: false,
        broker_id: 7,
    };
    assert_eq!(decode_slave_msg(&golden), Ok((msg, 16)));
    assert_eq!(decode_slave_msg(&golden[..15]), Err(FrameError::Incomplete));
}

#[test]
fn slave_ack_is_state_transfer_and_the_max_offset() {
    let golden: [u8; 12] = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x10, 0x01];
    assert_eq!(encode_ack(0x1001), golden);
    let mut two = golden.to_vec();
    two.extend_from_slice(&golden[..5]);
    assert_eq!(
        decode_slave_msg(&two),
        Ok((SlaveMsg::Ack { offset: 0x1001 }, 12))
    );
    assert_eq!(decode_slave_msg(&two[12..]), Err(FrameError::Incomplete));
}

#[test]
fn master_reply_carries_max_offset_epoch_and_twelve_byte_entries() {
    let golden: Vec<u8> = vec![
        0, 0, 0, 1, // state HANDSHAKE
        0, 0, 0, 24, // bodySize: two entries
        0, 0, 0, 0, 0, 0, 0x20, 0, // master max offset 8192
        0, 0, 0, 3, // master epoch
        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, // epoch 1 from 0
        0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0x10, 0, // epoch 3 from 4096
    ];
    let body = &golden[20..];
    assert_eq!(encode_reply(8192, 3, body), golden);
    let msg = MasterMsg::Reply {
        body_size: 24,
        max_offset: 8192,
        epoch: 3,
    };
    assert_eq!(decode_master_msg(&golden, 64, 8), Ok(msg));
    assert_eq!(
        decode_master_msg(&golden[..golden.len() - 1], 64, 8),
        Err(FrameError::Incomplete)
    );
    assert_eq!(
        decode_master_msg(&golden, 64, 1),
        Err(FrameError::Invalid(Invalid::BodyTooLarge {
            size: 24,
            max: 12
        }))
    );
}

#[test]
fn transfer_header_is_thirty_six_bytes_then_data() {
    let mut golden: Vec<u8> = vec![
        0, 0, 0, 2, // state TRANSFER
        0, 0, 0, 3, // bodySize
        0, 0, 0, 0, 0, 0, 0x10, 0x20, // offset 4128
        0, 0, 0, 5, // epoch
        0, 0, 0, 0, 0, 0, 0x10, 0, // epochStartOffset 4096
        0, 0, 0, 0, 0, 0, 0x0F, 0xFF, // confirmOffset 4095
    ];
    let header = AutoTransfer {
        size: 3,
        offset: 4128,
        epoch: 5,
        epoch_start: 4096,
        confirm: 4095,
    };
    assert_eq!(encode_auto_transfer_header(&header).to_vec(), golden);
    assert_eq!(
        decode_master_msg(&golden, 64, 8),
        Err(FrameError::Incomplete)
    );
    golden.extend_from_slice(b"abc");
    let msg = decode_master_msg(&golden, 64, 8).unwrap();
    assert_eq!(msg, MasterMsg::Transfer(header));
    assert_eq!((msg.header_len(), msg.body_len()), (36, 3));
}

#[test]
fn values_no_peer_sends_are_invalid() {
    let unknown = [0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        decode_slave_msg(&unknown),
        Err(FrameError::Invalid(Invalid::UnknownState(9)))
    );
    let mut flag = encode_handshake(false, false, 1);
    flag[5] = 2;
    assert_eq!(
        decode_slave_msg(&flag),
        Err(FrameError::Invalid(Invalid::BadFlag(2)))
    );
    let negative = [0, 0, 0, 2, 0xFF, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        decode_slave_msg(&negative),
        Err(FrameError::Invalid(Invalid::NegativeOffset(_)))
    ));
    let ragged = encode_reply(0, 1, &[0; 13]);
    assert_eq!(
        decode_master_msg(&ragged, 64, 8),
        Err(FrameError::Invalid(Invalid::EpochBodyLength(13)))
    );
    let late = AutoTransfer {
        size: 0,
        offset: 10,
        epoch: 1,
        epoch_start: 11,
        confirm: 0,
    };
    assert!(matches!(
        decode_master_msg(&encode_auto_transfer_header(&late), 64, 8),
        Err(FrameError::Invalid(Invalid::EpochStartsAfterFrame { .. }))
    ));
}
