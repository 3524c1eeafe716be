//! The simulated world: determinism by seed, node failures as peers see them, clogged links,
//! clocks, panics, and the cost of virtual time.

use bytes::BytesMut;
use rocketsim::env::{Clock, Conn, ConnRead, ConnWrite, Listener, Net, RandomExt, Spawn};
use rocketsim_sim::{first_divergence, run, Failure, NodeId, SimConfig, SimEnv, World};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const SERVER: &str = "10.0.0.1:9876";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn server_addr() -> SocketAddr {
    SERVER.parse().unwrap()
}

/// Echoes every chunk it reads back on every accepted connection.
async fn echo_server(env: SimEnv) {
    let mut listener = env.bind(server_addr()).await.unwrap();
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            return;
        };
        env.spawn("echo", async move {
            let (mut read, mut write) = conn.split();
            let mut buf = BytesMut::new();
            while let Ok(n) = read.read_buf(&mut buf).await {
                if n == 0 || write.write_all(&buf.split()).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Connects, retrying while the server is not yet listening.
async fn connect(env: &SimEnv) -> <SimEnv as Net>::Conn {
    for _ in 0..50 {
        match env.connect(server_addr()).await {
            Ok(conn) => return conn,
            Err(_) => env.sleep(Duration::from_millis(10)).await,
        }
    }
    panic!("server never listened")
}

/// Reads until `want` bytes have arrived (or EOF / error).
async fn read_exactly(read: &mut impl ConnRead, want: usize) -> io::Result<Vec<u8>> {
    let mut buf = BytesMut::new();
    while buf.len() < want {
        if read.read_buf(&mut buf).await? == 0 {
            break;
        }
    }
    Ok(buf.to_vec())
}

fn start_pair(world: &World) -> (NodeId, NodeId) {
    let server = world.add_node("server", ip("10.0.0.1"), echo_server);
    let client = world.add_client_node("client", ip("10.0.0.2"));
    (server, client)
}

async fn ping_pong(world: World) -> u64 {
    let (_, client) = start_pair(&world);
    world
        .run_on(client, |env| async move {
            let (mut read, mut write) = connect(&env).await.split();
            let mut total = 0;
            for round in 0..20u64 {
                env.sleep(Duration::from_millis(env.between(1, 500))).await;
                let ping = format!("ping {round}");
                write.write_all(ping.as_bytes()).await.unwrap();
                let pong = read_exactly(&mut read, ping.len()).await.unwrap();
                assert_eq!(pong, ping.as_bytes());
                tracing::debug!(target: "rocketsim::test", round, at_ms = env.now().since_origin().as_millis() as u64, "pong");
                total += round;
            }
            total
        })
        .await
        .unwrap()
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let config = |seed| SimConfig {
        keep_trace: true,
        ..SimConfig::new(seed)
    };
    let first = run(config(42), ping_pong);
    let second = run(config(42), ping_pong);
    let other = run(config(43), ping_pong);
    assert_eq!(first.output, Ok(190));
    assert!(first.events > 20, "{} events", first.events);
    let (a, b) = (first.trace.unwrap(), second.trace.unwrap());
    assert_eq!(first_divergence(&a, &b), None);
    assert_eq!(first.trace_hash, second.trace_hash);
    assert_ne!(first.trace_hash, other.trace_hash);
    let c = other.trace.unwrap();
    let diverges = first_divergence(&a, &c).unwrap();
    assert!(a
        .iter()
        .any(|e| e.node == "client" && e.message.starts_with("pong round=19")));
    assert!(diverges > 0, "world setup is the same for every seed");
    for event in a.iter().take(8) {
        println!("{event}");
    }
}

#[test]
fn parallel_runs_do_not_mix() {
    let sequential: Vec<u64> = (0..4)
        .map(|seed| run(SimConfig::new(seed), ping_pong).trace_hash)
        .collect();
    let parallel: Vec<u64> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|seed| scope.spawn(move || run(SimConfig::new(seed), ping_pong).trace_hash))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn a_killed_peer_reads_as_eof_or_error() {
    let outcome = run(SimConfig::new(1), |world| async move {
        let (server, client) = start_pair(&world);
        let reader = world.run_on(client, |env| async move {
            let (mut read, mut write) = connect(&env).await.split();
            write.write_all(b"hello").await.unwrap();
            assert_eq!(read_exactly(&mut read, 5).await.unwrap(), b"hello");
            let eof = env
                .timeout(Duration::from_secs(10), read_exactly(&mut read, 1))
                .await;
            let write_after = write.write_all(b"more").await;
            (eof, write_after.map_err(|e| e.kind()))
        });
        let killer = async {
            world.sleep(Duration::from_secs(1)).await;
            world.kill(server);
        };
        futures::join!(reader, killer).0.unwrap()
    });
    let (eof, write_after) = outcome.output.unwrap();
    match eof {
        Ok(Ok(bytes)) => assert!(bytes.is_empty(), "EOF"),
        Ok(Err(_)) => {}
        Err(elapsed) => panic!("the read hung: {elapsed}"),
    }
    assert_eq!(write_after, Err(io::ErrorKind::ConnectionReset));
}

#[test]
fn a_clogged_link_makes_connects_and_reads_hang_until_healed() {
    let outcome = run(SimConfig::new(2), |world| async move {
        let (server, client) = start_pair(&world);
        world.sleep(Duration::from_millis(100)).await; // the server listens
        world.clog_link(client, server);
        let blocked = world
            .run_on(client, |env| async move {
                env.timeout(Duration::from_secs(30), env.connect(server_addr()))
                    .await
                    .is_err()
            })
            .await
            .unwrap();
        world.unclog_link(client, server);
        let env = world.env(client);
        let (mut read, mut write) = world
            .run_on(client, |env| async move { connect(&env).await.split() })
            .await
            .unwrap();
        world.partition(&[&[server], &[client]]);
        let started = env.now();
        write.write_all(b"held").await.unwrap();
        let held = env
            .timeout(Duration::from_secs(5), read_exactly(&mut read, 4))
            .await
            .is_err();
        world.heal();
        let late = env
            .timeout(Duration::from_secs(30), read_exactly(&mut read, 4))
            .await;
        (blocked, held, late.unwrap().unwrap(), env.now() - started)
    });
    let (blocked, held, late, took) = outcome.output.unwrap();
    assert!(blocked, "connect over a clogged link must hang");
    assert!(held, "reads over a partition must hang");
    assert_eq!(late, b"held", "nothing is lost, only held");
    assert!(took >= Duration::from_secs(5));
}

#[test]
fn a_peer_that_dies_behind_a_clog_is_not_seen_to_die() {
    let outcome = run(SimConfig::new(5), |world| async move {
        let (server, client) = start_pair(&world);
        let env = world.env(client);
        let (mut read, mut write) = world
            .run_on(client, |env| async move { connect(&env).await.split() })
            .await
            .unwrap();
        write.write_all(b"hi").await.unwrap();
        assert_eq!(read_exactly(&mut read, 2).await.unwrap(), b"hi");
        // One direction clogged is enough: no FIN could reach us.
        world.clog_link(server, client);
        world.kill(server);
        let silent = env
            .timeout(Duration::from_secs(300), read_exactly(&mut read, 1))
            .await
            .is_err();
        let write_while_cut_off = write
            .write_all(b"into the void")
            .await
            .map_err(|e| e.kind());
        world.unclog_link(server, client);
        let write_once_open = write.write_all(b"rst").await.map_err(|e| e.kind());
        (silent, write_while_cut_off, write_once_open)
    });
    let (silent, while_cut_off, once_open) = outcome.output.unwrap();
    assert!(silent, "the read saw the death of a peer cut off from us");
    assert_eq!(
        while_cut_off,
        Ok(()),
        "bytes to a dead peer behind a clog just vanish"
    );
    assert_eq!(once_open, Err(io::ErrorKind::ConnectionReset));
}

#[test]
fn a_server_does_not_see_a_client_that_dies_behind_a_clog() {
    use std::sync::{Arc, Mutex};
    // For each accepted connection: how long after accepting its read ended (None: still open).
    type Ends = Arc<Mutex<Vec<Option<Duration>>>>;
    let outcome = run(SimConfig::new(6), |world| async move {
        let ends: Ends = Arc::default();
        let seen = ends.clone();
        let server = world.add_node("server", ip("10.0.0.1"), move |env| {
            let ends = seen.clone();
            async move {
                let mut listener = env.bind(server_addr()).await.unwrap();
                loop {
                    let (conn, _) = listener.accept().await.unwrap();
                    let (ends, env2) = (ends.clone(), env.clone());
                    env.spawn("watch", async move {
                        let slot = {
                            let mut ends = ends.lock().unwrap();
                            ends.push(None);
                            ends.len() - 1
                        };
                        let started = env2.now();
                        let (mut read, _write) = conn.split();
                        let _ = read_exactly(&mut read, usize::MAX).await;
                        ends.lock().unwrap()[slot] = Some(env2.now() - started);
                    });
                }
            }
        });
        let a = world.add_client_node("seen", ip("10.0.0.2"));
        let b = world.add_client_node("unseen", ip("10.0.0.3"));
        world.sleep(Duration::from_millis(100)).await;
        for client in [a, b] {
            world
                .run_on(client, |env| async move {
                    let conn = connect(&env).await;
                    // Held by a task of the client's process: it closes when the process dies.
                    env.spawn("hold", async move {
                        let _conn = conn;
                        std::future::pending::<()>().await
                    });
                })
                .await
                .unwrap();
        }
        world.sleep(Duration::from_millis(100)).await;
        world.clog_node(b);
        world.kill(a);
        world.kill(b);
        world.sleep(Duration::from_secs(600)).await;
        let _ = server;
        let ends = ends.lock().unwrap().clone();
        ends
    });
    let ends = outcome.output.unwrap();
    assert_eq!(ends.len(), 2);
    assert!(
        ends[0].is_some_and(|d| d < Duration::from_secs(1)),
        "{ends:?}"
    );
    assert_eq!(ends[1], None, "{ends:?}");
}

#[test]
fn connect_to_a_silent_port_is_refused_and_a_dead_path_times_out() {
    let outcome = run(SimConfig::new(3), |world| async move {
        let (server, client) = start_pair(&world);
        world.sleep(Duration::from_millis(100)).await;
        let nobody = world
            .run_on(client, |env| async move {
                env.connect("10.0.0.1:1".parse().unwrap())
                    .await
                    .err()
                    .map(|e| e.kind())
            })
            .await
            .unwrap();
        world.clog_node(server);
        world
            .run_on(client, move |env| async move {
                let started = env.now();
                let dead = env.connect(server_addr()).await.err().map(|e| e.kind());
                (nobody, dead, env.now() - started)
            })
            .await
            .unwrap()
    });
    let (nobody, dead, took) = outcome.output.unwrap();
    assert_eq!(nobody, Some(io::ErrorKind::ConnectionRefused));
    assert_eq!(dead, Some(io::ErrorKind::TimedOut));
    assert!(
        took >= Duration::from_secs(127) && took < Duration::from_secs(128),
        "{took:?}"
    );
}

#[test]
fn shutdown_is_a_half_close() {
    let outcome = run(SimConfig::new(4), |world| async move {
        let server = world.add_node("server", ip("10.0.0.1"), |env| async move {
            let mut listener = env.bind(server_addr()).await.unwrap();
            let (conn, _) = listener.accept().await.unwrap();
            let (mut read, mut write) = conn.split();
            let request = read_exactly(&mut read, usize::MAX).await.unwrap();
            write
                .write_all(format!("got {}", request.len()).as_bytes())
                .await
                .unwrap();
            write.shutdown().await.unwrap();
        });
        let _ = server;
        let client = world.add_client_node("client", ip("10.0.0.2"));
        world
            .run_on(client, |env| async move {
                let conn = connect(&env).await;
                assert_eq!(conn.peer_addr().unwrap(), server_addr());
                assert_eq!(conn.local_addr().unwrap().ip(), ip("10.0.0.2"));
                let (mut read, mut write) = conn.split();
                write.write_all(&[7u8; 100_000]).await.unwrap();
                write.shutdown().await.unwrap();
                let write_after = write.write_all(b"x").await.is_err();
                (
                    read_exactly(&mut read, usize::MAX).await.unwrap(),
                    write_after,
                )
            })
            .await
            .unwrap()
    });
    let (reply, write_after) = outcome.output.unwrap();
    assert_eq!(reply, b"got 100000");
    assert!(write_after, "no writes after shutdown");
}

#[test]
fn clock_step_moves_wall_time_not_monotonic_time() {
    let outcome = run(SimConfig::new(5), |world| async move {
        let node = world.add_client_node("broker", ip("10.0.0.1"));
        let env = world.env(node);
        let (wall, mono) = (env.now_millis(), env.now());
        world.clock_step(node, 5_000);
        let stepped = (env.now_millis() - wall, env.now() - mono);
        world.clock_skew(node, 100_000); // +10%
        world.sleep(Duration::from_secs(10)).await;
        let drift = env.now_millis() - wall - 5_000;
        (stepped, drift)
    });
    let ((wall_delta, mono_delta), drift) = outcome.output.unwrap();
    assert!((5_000..5_001).contains(&wall_delta), "{wall_delta}");
    assert!(mono_delta < Duration::from_millis(1));
    assert!((11_000..11_010).contains(&drift), "10 s plus 10%: {drift}");
}

#[test]
fn a_panicking_node_is_a_failure_not_an_abort() {
    let outcome = run(SimConfig::new(6), |world| async move {
        world.add_node("bad", ip("10.0.0.1"), |env| async move {
            env.sleep(Duration::from_secs(1)).await;
            env.spawn("boom", async { panic!("planted bug") });
        });
        world.sleep(Duration::from_secs(10)).await;
    });
    let failure = outcome.output.unwrap_err();
    let expected = Failure::NodePanicked {
        node: "bad".into(),
        task: "boom".into(),
        message: "planted bug".into(),
    };
    assert_eq!(failure, expected);
}

#[test]
fn time_limit_and_deadlock_are_failures() {
    let limited = SimConfig {
        time_limit: Some(Duration::from_secs(5)),
        ..SimConfig::new(7)
    };
    let outcome = run(limited, |world| async move {
        world.sleep(Duration::from_secs(60)).await
    });
    let limit = Duration::from_secs(5);
    assert_eq!(outcome.output, Err(Failure::TimeLimitExceeded { limit }));
    let outcome = run(SimConfig::new(8), |_world| std::future::pending::<()>());
    assert_eq!(outcome.output, Err(Failure::Deadlock));
}

#[test]
fn a_long_virtual_sleep_is_cheap() {
    let outcome = run(SimConfig::new(9), |world| async move {
        let (_, client) = start_pair(&world);
        world.sleep(Duration::from_secs(120)).await;
        world
            .run_on(client, |env| async move { env.now().since_origin() })
            .await
            .unwrap()
    });
    assert!(outcome.output.unwrap() >= Duration::from_secs(120));
    assert!(outcome.virtual_secs >= 120.0);
    // Generous: this is milliseconds on any machine; the bound only catches real sleeping.
    assert!(
        outcome.wall_secs < 5.0,
        "{} s of wall time",
        outcome.wall_secs
    );
}

#[test]
fn restart_runs_init_again_with_a_new_incarnation() {
    let outcome = run(SimConfig::new(10), |world| async move {
        let (server, client) = start_pair(&world);
        let first = world.env(server);
        world.restart(server);
        let second = world.env(server);
        let echoed = world
            .run_on(client, |env| async move {
                let (mut read, mut write) = connect(&env).await.split();
                write.write_all(b"again").await.unwrap();
                read_exactly(&mut read, 5).await.unwrap()
            })
            .await
            .unwrap();
        let stale_task = first.spawn("stale", async {});
        use rocketsim::env::Task;
        (
            first.incarnation(),
            second.incarnation(),
            first.is_live(),
            stale_task.is_finished(),
            echoed,
            first.random_stream().to_string(),
        )
    });
    let (first, second, stale_live, stale_finished, echoed, stream) = outcome.output.unwrap();
    assert_eq!((first, second), (1, 2));
    assert!(!stale_live && stale_finished);
    assert_eq!(echoed, b"again");
    assert_eq!(stream, "server#1");
}

#[test]
fn packet_loss_delays_but_does_not_break_tcp() {
    let lossy = SimConfig {
        packet_loss_rate: 0.3,
        ..SimConfig::new(11)
    };
    let outcome = run(lossy, ping_pong);
    assert_eq!(outcome.output, Ok(190));
}

#[test]
fn tasks_left_running_are_dropped_when_the_run_ends() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let outcome = run(SimConfig::new(12), move |world| async move {
        let node = world.add_client_node("client", ip("10.0.0.2"));
        let parked = world.run_on(node, move |env| async move {
            let guard = SetOnDrop(flag);
            env.spawn("parked", async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
        });
        parked.await.unwrap();
        world.sleep(Duration::from_secs(1)).await; // it runs and parks
    });
    outcome.output.unwrap();
    assert!(
        dropped.load(Ordering::SeqCst),
        "a parked task would leak its memory every run"
    );
}
