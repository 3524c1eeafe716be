//! Conformance cases of the remoting layer, generic over `Env`: the same bodies run in
//! simulation and over loopback (`tests/remoting.rs`).

use bytes::{Bytes, BytesMut};
use rocketsim::env::{Conn, ConnRead, ConnWrite, Env};
use rocketsim::protocol::{frame, RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig, RequestContext, RpcError, Server};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The code our test servers echo on (a real RocketMQ code; the processor is ours).
pub const ECHO: RequestCode = RequestCode::HEART_BEAT;
/// A code that sleeps far longer than any call timeout.
pub const SLOW: RequestCode = RequestCode::GET_BROKER_RUNTIME_INFO;
/// A oneway code whose arrivals are counted.
pub const COUNT: RequestCode = RequestCode::UPDATE_CONSUMER_OFFSET;
/// A code that makes the server call the client back on the same connection.
pub const CALL_BACK: RequestCode = RequestCode::UNREGISTER_CLIENT;

/// What a test server saw.
#[derive(Default)]
pub struct Seen {
    /// Oneway requests processed.
    pub oneway: AtomicUsize,
    /// Connections closed.
    pub closed: AtomicUsize,
}

/// Starts a server on `env` at `bind` with the test processors.
pub async fn start_server<E: Env>(env: &E, bind: SocketAddr) -> (Server, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let (oneway, closed) = (seen.clone(), seen.clone());
    let slow_env = env.clone();
    let back_env = env.clone();
    let dispatcher = Dispatcher::new()
        .register(
            ECHO,
            |_ctx: RequestContext, request: RemotingCommand| async move {
                let echoed = request.ext_fields.get("n").unwrap_or("").to_string();
                RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None)
                    .with_ext_field("n", echoed)
                    .with_body(request.body.clone())
            },
        )
        .register(
            SLOW,
            move |_ctx: RequestContext, request: RemotingCommand| {
                let env = slow_env.clone();
                async move {
                    env.sleep(Duration::from_secs(60)).await;
                    RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None)
                }
            },
        )
        .register(
            COUNT,
            move |_ctx: RequestContext, request: RemotingCommand| {
                oneway.oneway.fetch_add(1, Ordering::SeqCst);
                async move { RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None) }
            },
        )
        .register(
            CALL_BACK,
            move |ctx: RequestContext, request: RemotingCommand| {
                let env = back_env.clone();
                async move {
                    let question =
                        RemotingCommand::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
                    let answer = ctx
                        .connection
                        .invoke(&env, question, Duration::from_secs(3))
                        .await;
                    let code = match answer {
                        Ok(answer) if answer.response_code() == Some(ResponseCode::SUCCESS) => {
                            ResponseCode::SUCCESS
                        }
                        _ => ResponseCode::SYSTEM_ERROR,
                    };
                    RemotingCommand::response_to(&request, code, None)
                }
            },
        )
        .on_close(move |_info| {
            closed.closed.fetch_add(1, Ordering::SeqCst);
        });
    let listener = env.bind(bind).await.expect("bind");
    let server =
        Server::start(env, listener, dispatcher, RemotingConfig::default()).expect("start");
    (server, seen)
}

fn client<E: Env>(env: &E) -> Client<E> {
    let dispatcher = Dispatcher::new().register(
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
        |_ctx: RequestContext, request: RemotingCommand| async move {
            RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None)
        },
    );
    Client::new(env.clone(), dispatcher, RemotingConfig::default())
}

const CALL: Duration = Duration::from_secs(3);

/// Many concurrent calls each get their own response (opaque matching), bodies intact.
pub async fn concurrent_calls_match_responses<E: Env>(
    server_env: E,
    client_env: E,
    bind: SocketAddr,
) {
    let (server, _) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let calls = (0..64u32).map(|n| {
        let client = client.clone();
        let addr = server.local_addr();
        async move {
            let body = Bytes::from(vec![n as u8; n as usize * 100]);
            let request = RemotingCommand::request(ECHO)
                .with_ext_field("n", n.to_string())
                .with_body(body.clone());
            let response = client.invoke(addr, request, CALL).await.expect("echo call");
            assert_eq!(response.response_code(), Some(ResponseCode::SUCCESS));
            assert_eq!(response.ext_fields.get("n"), Some(n.to_string().as_str()));
            assert_eq!(response.body, body, "call {n} got another call's body");
        }
    });
    futures::future::join_all(calls).await;
    assert_eq!(server.connections().len(), 1, "one connection per address");
}

/// A code nobody serves is answered REQUEST_CODE_NOT_SUPPORTED, with RocketMQ's remark.
pub async fn unknown_code_is_not_supported<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, _) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let request = RemotingCommand::request(RequestCode(4242));
    let response = client
        .invoke(server.local_addr(), request, CALL)
        .await
        .expect("call");
    assert_eq!(
        response.response_code(),
        Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED)
    );
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 4242 not supported")
    );
}

/// A call with no response in time fails with Timeout; the connection stays usable.
pub async fn slow_call_times_out<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, _) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let addr = server.local_addr();
    let started = client_env.now();
    let slow = client
        .invoke(
            addr,
            RemotingCommand::request(SLOW),
            Duration::from_millis(300),
        )
        .await;
    assert!(
        matches!(slow, Err(RpcError::Timeout { .. })),
        "got {slow:?}"
    );
    assert!(client_env.now() - started >= Duration::from_millis(300));
    let echo = client
        .invoke(addr, RemotingCommand::request(ECHO), CALL)
        .await;
    assert!(
        echo.is_ok(),
        "connection unusable after a timeout: {echo:?}"
    );
}

/// Oneway requests reach the processor and get no response.
pub async fn oneway_reaches_processor<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, seen) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let addr = server.local_addr();
    for _ in 0..5 {
        client
            .invoke_oneway(addr, RemotingCommand::request(COUNT))
            .await
            .expect("oneway");
    }
    // A normal call after them: processed after the oneways were dispatched.
    client
        .invoke(addr, RemotingCommand::request(ECHO), CALL)
        .await
        .expect("echo");
    for _ in 0..100 {
        if seen.oneway.load(Ordering::SeqCst) == 5 {
            return;
        }
        client_env.sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "oneway requests processed: {}",
        seen.oneway.load(Ordering::SeqCst)
    );
}

/// The server calls the client back on the connection the client opened.
pub async fn server_calls_client_back<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, _) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let response = client
        .invoke(
            server.local_addr(),
            RemotingCommand::request(CALL_BACK),
            CALL,
        )
        .await
        .expect("call");
    assert_eq!(
        response.response_code(),
        Some(ResponseCode::SUCCESS),
        "the call back failed"
    );
}

/// A malformed frame closes only its own connection; the server keeps serving others, and
/// reports the close.
pub async fn malformed_frame_closes_only_its_connection<E: Env>(
    server_env: E,
    client_env: E,
    bind: SocketAddr,
) {
    let (server, seen) = start_server(&server_env, bind).await;
    let addr = server.local_addr();
    let good = client(&client_env);
    good.invoke(addr, RemotingCommand::request(ECHO), CALL)
        .await
        .expect("first call");

    let raw = client_env.connect(addr).await.expect("raw connect");
    let (mut read, mut write) = raw.split();
    // Declares a 2 GiB frame: over the 16 MiB limit, rejected from the length alone.
    write
        .write_all(&[0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        .await
        .expect("write garbage");
    let mut buf = BytesMut::new();
    let ended = client_env
        .timeout(Duration::from_secs(5), async {
            loop {
                match read.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
    assert!(
        ended.is_ok(),
        "the server kept a connection that sent a malformed frame"
    );
    assert!(buf.is_empty(), "the server answered a malformed frame");

    let again = good
        .invoke(addr, RemotingCommand::request(ECHO), CALL)
        .await;
    assert!(
        again.is_ok(),
        "a malformed frame on one connection broke another: {again:?}"
    );
    for _ in 0..100 {
        if seen.closed.load(Ordering::SeqCst) == 1 && server.connections().len() == 1 {
            return;
        }
        client_env.sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "close events: {}, live: {}",
        seen.closed.load(Ordering::SeqCst),
        server.connections().len()
    );
}

/// A frame split across many tiny writes and a request sent with the ROCKETMQ binary header
/// are both understood; the answer comes in JSON.
pub async fn fragmented_and_binary_frames<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, _) = start_server(&server_env, bind).await;
    let raw = client_env
        .connect(server.local_addr())
        .await
        .expect("connect");
    let (mut read, mut write) = raw.split();
    let request = RemotingCommand::request(ECHO)
        .with_opaque(77)
        .with_ext_field("n", "binary")
        .with_body(Bytes::from_static(b"payload"));
    let mut encoded = BytesMut::new();
    frame::encode(&request, SerializeType::RocketMq, &mut encoded).expect("encode");
    for chunk in encoded.chunks(3) {
        write.write_all(chunk).await.expect("write chunk");
    }
    let mut buf = BytesMut::new();
    let response = loop {
        match frame::decode(&buf) {
            Ok((response, _)) => break response,
            Err(rocketsim::protocol::DecodeError::Incomplete { .. }) => {
                let n = read.read_buf(&mut buf).await.expect("read");
                assert!(n > 0, "server closed instead of answering");
            }
            Err(error) => panic!("bad response frame: {error}"),
        }
    };
    assert_eq!(buf[4], 0, "the server answers with a JSON header");
    assert_eq!(response.opaque, 77);
    assert!(response.is_response());
    assert_eq!(response.ext_fields.get("n"), Some("binary"));
    assert_eq!(&response.body[..], b"payload");
}

/// Calls pending when the server side goes away fail with ConnectionClosed, not a timeout.
pub async fn pending_calls_fail_on_close<E: Env>(server_env: E, client_env: E, bind: SocketAddr) {
    let (server, _) = start_server(&server_env, bind).await;
    let client = client(&client_env);
    let addr = server.local_addr();
    let (tx, mut rx) = mpsc::channel(1);
    let caller = client.clone();
    let env = client_env.clone();
    let call = async move {
        let outcome = caller
            .invoke(
                addr,
                RemotingCommand::request(SLOW),
                Duration::from_secs(30),
            )
            .await;
        let _ = tx.send(outcome).await;
    };
    rocketsim::env::Spawn::spawn(&env, "slow-caller", call);
    client_env.sleep(Duration::from_millis(200)).await;
    server.shutdown();
    let outcome = client_env
        .timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("pending call still waiting after the connection closed")
        .expect("caller result");
    assert!(
        matches!(outcome, Err(RpcError::ConnectionClosed { .. })),
        "got {outcome:?}"
    );
}
