//! The conformance cases: one body per behaviour of the seams, generic over `Env`, run by
//! `tests/conformance.rs` on `SimEnv` (madsim) and on `TokioEnv` (loopback, temp dirs).
//! A case panics on a deviation; it never looks at which implementation it runs on.

use bytes::BytesMut;
use rocketsim::env::{Conn, ConnRead, ConnWrite, Env, Listener, RandomExt, Segment};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Reads from `read` until `want` bytes have arrived or the stream ends.
pub async fn read_exactly<R: ConnRead>(read: &mut R, want: usize) -> io::Result<BytesMut> {
    let mut buf = BytesMut::with_capacity(want);
    while buf.len() < want {
        if read.read_buf(&mut buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(buf)
}

/// Starts an echo server on `server` at `bind`; returns the bound address.
pub async fn start_echo<E: Env>(server: &E, bind: SocketAddr) -> SocketAddr {
    let mut listener = server.bind(bind).await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let env = server.clone();
    server.spawn("echo-acceptor", async move {
        while let Ok((conn, _peer)) = listener.accept().await {
            env.spawn("echo-conn", async move {
                let (mut read, mut write) = conn.split();
                let mut buf = BytesMut::new();
                while let Ok(n) = read.read_buf(&mut buf).await {
                    if n == 0 || write.write_all(&buf).await.is_err() {
                        break;
                    }
                    buf.clear();
                }
            });
        }
    });
    addr
}

/// Connect, accept, echo: small and large payloads come back intact, addresses are right.
pub async fn echo<E: Env>(server: E, client: E, bind: SocketAddr) {
    let addr = start_echo(&server, bind).await;
    let conn = client.connect(addr).await.expect("connect");
    assert_eq!(conn.peer_addr().expect("peer addr"), addr);
    let (mut read, mut write) = conn.split();
    write.write_all(b"hello").await.expect("write");
    assert_eq!(
        &read_exactly(&mut read, 5).await.expect("echo")[..],
        b"hello"
    );
    // Large enough to arrive in several reads on any implementation.
    let mut big = vec![0u8; 1 << 20];
    client.fill(&mut big);
    write.write_all(&big).await.expect("write big");
    let back = read_exactly(&mut read, big.len()).await.expect("echo big");
    assert!(back[..] == big[..], "large payload came back altered");
}

/// After our side shuts down its writes, the peer reads end-of-stream.
pub async fn eof_after_shutdown<E: Env>(server: E, client: E, bind: SocketAddr) {
    let mut listener = server.bind(bind).await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let conn = client.connect(addr).await.expect("connect");
    let (accepted, _) = listener.accept().await.expect("accept");
    let (_read, mut write) = conn.split();
    write.write_all(b"bye").await.expect("write");
    write.shutdown().await.expect("shutdown");
    let (mut read, _write) = accepted.split();
    let mut buf = BytesMut::new();
    let mut total = 0;
    loop {
        match read.read_buf(&mut buf).await.expect("read") {
            0 => break,
            n => total += n,
        }
    }
    assert_eq!((total, &buf[..]), (3, &b"bye"[..]));
}

/// A connection whose peer is gone ends: reading returns end-of-stream or an error, never
/// hangs past `within`. `kill_peer` makes the peer go away (kill its node, drop its socket).
pub async fn peer_death_ends_reads<E: Env, R: ConnRead>(
    env: &E,
    mut read: R,
    kill_peer: impl FnOnce(),
    within: Duration,
) {
    kill_peer();
    let mut buf = BytesMut::new();
    let ended = env
        .timeout(within, async {
            loop {
                match read.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await;
    assert!(
        ended.is_ok(),
        "read did not end within {within:?} after the peer died"
    );
}

/// Connecting where nothing listens fails (and does not hang).
pub async fn connect_refused<E: Env>(env: E, nobody: SocketAddr) {
    let attempt = env
        .timeout(Duration::from_secs(10), env.connect(nobody))
        .await;
    match attempt {
        Ok(Err(_)) => {}
        Ok(Ok(_)) => panic!("connected to {nobody} where nothing listens"),
        Err(_) => panic!("connect to {nobody} hung instead of failing"),
    }
}

/// Timeouts fire at their deadline, not before; finished futures are not cut short.
pub async fn timeouts<E: Env>(env: E) {
    let start = env.now();
    let cut = env
        .timeout(
            Duration::from_millis(200),
            env.sleep(Duration::from_secs(30)),
        )
        .await;
    assert!(
        cut.is_err(),
        "a 30 s sleep finished within a 200 ms timeout"
    );
    let waited = env.now() - start;
    assert!(
        waited >= Duration::from_millis(200),
        "timeout fired early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "timeout fired late: {waited:?}"
    );
    let done = env.timeout(Duration::from_secs(5), async { 42 }).await;
    assert_eq!(done, Ok(42));
    let before = env.now_millis();
    env.sleep(Duration::from_millis(50)).await;
    assert!(
        env.now_millis() >= before + 40,
        "wall clock did not advance with a sleep"
    );
}

/// Random streams: forks differ from each other and from their parent.
pub fn random_forks<E: Env>(env: E) {
    let a = env.fork("a");
    let b = env.fork("b");
    let draws = |r: &dyn Fn() -> u64| (0..4).map(|_| r()).collect::<Vec<_>>();
    let from_a = draws(&|| a.next_u64());
    let from_b = draws(&|| b.next_u64());
    assert_ne!(from_a, from_b, "two forks produced the same stream");
    for _ in 0..1000 {
        assert!(env.below(7) < 7);
    }
}

/// Segment files: write and read at offsets, sync, reopen, bounds, growth.
pub async fn segment_lifecycle<E: Env>(env: E, dir: &Path) {
    env.create_dir_all(dir).expect("create dir");
    let path = dir.join("00000000000000000000");
    let len = 64 * 1024;
    {
        let segment = env.open_segment(&path, Some(len)).expect("create segment");
        assert_eq!(segment.len(), len);
        segment.write_at(0, b"first").expect("write at 0");
        segment.write_at(len - 4, b"tail").expect("write at end");
        segment
            .write_at(5000, &[7u8; 9000])
            .expect("write across pages");
        let mut buf = [0u8; 5];
        segment.read_at(0, &mut buf).expect("read");
        assert_eq!(&buf, b"first");
        let mut gap = [1u8; 16];
        segment.read_at(100, &mut gap).expect("read unwritten");
        assert_eq!(gap, [0u8; 16], "unwritten bytes must read as zero");
        segment.sync(0..len).await.expect("sync");
        let past = segment.write_at(len - 2, b"four");
        assert_eq!(
            past.expect_err("write past end").kind(),
            io::ErrorKind::InvalidInput
        );
        let mut over = [0u8; 8];
        let read_past = segment.read_at(len - 4, &mut over);
        assert_eq!(
            read_past.expect_err("read past end").kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
    let reopened = env.open_segment(&path, None).expect("reopen");
    assert_eq!(reopened.len(), len);
    let mut buf = [0u8; 4];
    reopened.read_at(len - 4, &mut buf).expect("read tail");
    assert_eq!(&buf, b"tail");
    let mut middle = vec![0u8; 9000];
    reopened.read_at(5000, &mut middle).expect("read middle");
    assert!(middle.iter().all(|&b| b == 7));
    reopened.set_len(len * 2).expect("grow");
    assert_eq!(reopened.len(), len * 2);
    let mut grown = [9u8; 8];
    reopened.read_at(len + 100, &mut grown).expect("read grown");
    assert_eq!(grown, [0u8; 8]);
    let missing = env.open_segment(&dir.join("missing"), None);
    assert_eq!(
        missing.err().map(|e| e.kind()),
        Some(io::ErrorKind::NotFound)
    );
}

/// Directories and small atomic files.
pub async fn files_and_dirs<E: Env>(env: E, dir: &Path) {
    let nested = dir.join("consumequeue").join("TopicTest");
    env.create_dir_all(&nested.join("1")).expect("mkdir 1");
    env.create_dir_all(&nested.join("0")).expect("mkdir 0");
    env.create_dir_all(&nested.join("10")).expect("mkdir 10");
    let names = env.list_dir(&nested).expect("list");
    assert_eq!(
        names,
        vec!["0", "1", "10"],
        "list_dir must be sorted by name"
    );
    let config = dir.join("topics.json");
    assert!(!env.exists(&config));
    let missing = env.read_file(&config).expect_err("read missing");
    assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    env.write_file_atomic(&config, b"{\"v\":1}")
        .await
        .expect("write 1");
    env.write_file_atomic(&config, b"{\"v\":2}")
        .await
        .expect("write 2");
    assert_eq!(env.read_file(&config).expect("read"), b"{\"v\":2}");
    let listed = env.list_dir(dir).expect("list root");
    assert_eq!(
        listed,
        vec!["consumequeue", "topics.json"],
        "no temporary files left behind"
    );
    env.remove_file(&config).expect("remove");
    assert!(!env.exists(&config));
    env.remove_dir_all(&dir.join("consumequeue"))
        .expect("remove tree");
    assert!(!env.exists(&nested));
    assert_eq!(env.list_dir(dir).expect("list empty"), Vec::<String>::new());
}
