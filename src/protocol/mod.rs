//! Pure codecs of RocketMQ's wire and record formats: no I/O, no time, no randomness.

pub mod properties;
pub mod sysflag;
