//! Limits and defaults of the remoting layer.

use crate::protocol::SerializeType;
use std::time::Duration;

/// Limits and defaults shared by servers and clients.
#[derive(Clone, Debug)]
pub struct RemotingConfig {
    /// Requests from one connection being processed at once; more are answered SYSTEM_BUSY.
    pub in_flight_requests_max: usize,
    /// Our requests on one connection still awaiting a response; more fail at once.
    pub pending_responses_max: usize,
    /// Frames queued for writing on one connection; senders wait when it is full.
    pub send_queue_frames_max: usize,
    /// Bytes gathered into one write when several frames are queued.
    pub write_batch_bytes_max: usize,
    /// Connections a server keeps open at once; more are closed on accept.
    pub connections_max: usize,
    /// Header encoding of what we send. RocketMQ servers answer JSON by default.
    pub serialize_type: SerializeType,
    /// How long a client waits for a TCP connection to open.
    pub connect_timeout: Duration,
}

impl Default for RemotingConfig {
    fn default() -> Self {
        RemotingConfig {
            in_flight_requests_max: 1024,
            pending_responses_max: 65_536,
            send_queue_frames_max: 4096,
            write_batch_bytes_max: 256 * 1024,
            connections_max: 10_000,
            serialize_type: SerializeType::Json,
            connect_timeout: Duration::from_secs(3),
        }
    }
}
