//! Pure codecs of RocketMQ's wire and record formats: no I/O, no time, no randomness.

pub mod batch;
pub mod message_id;
pub mod properties;
pub mod record;
pub mod sysflag;
