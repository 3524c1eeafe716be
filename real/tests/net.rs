//! Loopback TCP through the `Net` seam of `TokioEnv`.

use bytes::BytesMut;
use rocketsim::env::{Clock, Conn, ConnRead, ConnWrite, Listener, Net, Spawn};
use rocketsim_real::{TokioConn, TokioEnv, TokioListener};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

const LOOPBACK: &str = "127.0.0.1:0";

async fn listen(env: &TokioEnv) -> (TokioListener, SocketAddr) {
    let listener = env.bind(LOOPBACK.parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Reads until `buf` holds at least `len` bytes or the stream ends.
async fn read_at_least(read: &mut impl ConnRead, buf: &mut BytesMut, len: usize) {
    while buf.len() < len {
        if read.read_buf(buf).await.unwrap() == 0 {
            return;
        }
    }
}

/// Accepts one connection and echoes everything back until the client closes its side.
async fn echo_once(mut listener: TokioListener) {
    let (conn, _) = listener.accept().await.unwrap();
    let (mut read, mut write) = conn.split();
    let mut buf = BytesMut::new();
    while read.read_buf(&mut buf).await.unwrap() > 0 {
        write.write_all(&buf.split()).await.unwrap();
    }
    write.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trips_and_addresses_match() {
    let env = TokioEnv::new();
    let (listener, addr) = listen(&env).await;
    assert_ne!(addr.port(), 0, "port 0 must resolve to a real port");
    let server = env.spawn("echo", echo_once(listener));

    let conn: TokioConn = env.connect(addr).await.unwrap();
    assert_eq!(conn.peer_addr().unwrap(), addr);
    assert!(conn.local_addr().unwrap().ip().is_loopback());
    let (mut read, mut write) = conn.split();
    write.write_all(b"hello, broker").await.unwrap();
    let mut buf = BytesMut::new();
    read_at_least(&mut read, &mut buf, 13).await;
    assert_eq!(&buf[..], b"hello, broker");

    // Half-close: the server sees end-of-stream, echoes nothing more and closes its side.
    write.shutdown().await.unwrap();
    assert_eq!(read.read_buf(&mut buf).await.unwrap(), 0);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_transfer_arrives_whole() {
    let env = TokioEnv::new();
    let (listener, addr) = listen(&env).await;
    let _server = env.spawn("echo", echo_once(listener));
    let (mut read, mut write) = env.connect(addr).await.unwrap().split();
    let data: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    // Write from another task: the echo only drains as fast as we read.
    let sent = data.clone();
    let writer = tokio::spawn(async move { write.write_all(&sent).await.unwrap() });
    let mut buf = BytesMut::new();
    read_at_least(&mut read, &mut buf, data.len()).await;
    writer.await.unwrap();
    assert_eq!(buf.len(), data.len());
    assert!(buf[..] == data[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_sees_end_of_stream_when_peer_drops_connection() {
    let env = TokioEnv::new();
    let (mut listener, addr) = listen(&env).await;
    let server = tokio::spawn(async move {
        let (conn, peer) = listener.accept().await.unwrap();
        let (_, mut write) = conn.split();
        write.write_all(b"bye").await.unwrap();
        peer
        // Both halves dropped here: the connection closes.
    });
    let conn = env.connect(addr).await.unwrap();
    let client_addr = conn.local_addr().unwrap();
    let (mut read, _write) = conn.split();
    assert_eq!(
        server.await.unwrap(),
        client_addr,
        "accept reports the peer's address"
    );
    let mut buf = BytesMut::new();
    read_at_least(&mut read, &mut buf, usize::MAX).await;
    assert_eq!(&buf[..], b"bye");
    assert_eq!(read.read_buf(&mut buf).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_closed_port_is_refused() {
    let env = TokioEnv::new();
    let (listener, addr) = listen(&env).await;
    drop(listener);
    let error = env.connect(addr).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fires_on_a_silent_peer() {
    let env = TokioEnv::new();
    let (mut listener, addr) = listen(&env).await;
    // Accept and hold the connection open without writing.
    let server = tokio::spawn(async move { listener.accept().await.unwrap() });
    let (mut read, _write) = env.connect(addr).await.unwrap().split();
    let _held = server.await.unwrap();
    let mut buf = BytesMut::new();
    let started = env.now();
    let outcome = env
        .timeout(Duration::from_millis(50), read.read_buf(&mut buf))
        .await;
    assert!(outcome.is_err(), "read of a silent peer must time out");
    assert!(env.now() - started >= Duration::from_millis(50));
    let ready = env.timeout(Duration::from_secs(5), async { 7 }).await;
    assert_eq!(ready, Ok(7));
}
