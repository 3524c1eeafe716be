//! The seams' conformance suite: every case in `support::cases` runs on `SimEnv` (madsim,
//! several seeds) and on `TokioEnv` (loopback, temporary directories).

mod support;

use rocketsim::env::{Conn, Net};
use std::path::Path;
use std::time::Duration;
use support::{cases, loopback_any, loopback_closed_port, on_real, on_sim, sim_addr, sim_ip};

const SEEDS: std::ops::Range<u64> = 1..6;

/// Runs `case(server_env, client_env, bind)` on two simulated nodes, for each seed.
macro_rules! on_two_sim_nodes {
    ($case:path) => {
        for seed in SEEDS {
            on_sim(seed, |world| async move {
                let server = world.add_client_node("server", sim_ip(1));
                let client = world.add_client_node("client", sim_ip(2));
                let server_env = world.env(server);
                world
                    .run_on(client, move |env| $case(server_env, env, sim_addr(1, 9876)))
                    .await
                    .expect("client node stays up");
            });
        }
    };
}

/// Runs `case(env)` on one simulated node, for each seed.
macro_rules! on_one_sim_node {
    ($body:expr) => {
        for seed in SEEDS {
            on_sim(seed, |world| async move {
                let node = world.add_client_node("node", sim_ip(1));
                world.run_on(node, $body).await.expect("node stays up");
            });
        }
    };
}

#[test]
fn sim_echo() {
    on_two_sim_nodes!(cases::echo);
}

#[test]
fn real_echo() {
    on_real(|env| cases::echo(env.clone(), env, loopback_any()));
}

#[test]
fn sim_eof_after_shutdown() {
    on_two_sim_nodes!(cases::eof_after_shutdown);
}

#[test]
fn real_eof_after_shutdown() {
    on_real(|env| cases::eof_after_shutdown(env.clone(), env, loopback_any()));
}

#[test]
fn sim_peer_death_ends_reads() {
    for seed in SEEDS {
        on_sim(seed, |world| async move {
            let server = world.add_client_node("server", sim_ip(1));
            let client = world.add_client_node("client", sim_ip(2));
            let addr = cases::start_echo(&world.env(server), sim_addr(1, 9876)).await;
            let reader = world
                .run_on(client, move |env| async move {
                    let conn = env.connect(addr).await.expect("connect");
                    conn.split()
                })
                .await
                .expect("client up");
            let victim = world.clone();
            let client_env = world.env(client);
            world
                .run_on(client, move |env| async move {
                    let (read, _write) = reader;
                    cases::peer_death_ends_reads(
                        &env,
                        read,
                        move || victim.kill(server),
                        Duration::from_secs(60),
                    )
                    .await;
                    drop(client_env);
                })
                .await
                .expect("client up");
        });
    }
}

#[test]
fn real_peer_death_ends_reads() {
    on_real(|env| async move {
        let mut listener = env.bind(loopback_any()).await.expect("bind");
        let addr = rocketsim::env::Listener::local_addr(&listener).expect("addr");
        let conn = env.connect(addr).await.expect("connect");
        let (accepted, _) = rocketsim::env::Listener::accept(&mut listener)
            .await
            .expect("accept");
        let (read, _write) = conn.split();
        // The peer's process dying closes its sockets: here, its socket is dropped.
        cases::peer_death_ends_reads(&env, read, move || drop(accepted), Duration::from_secs(10))
            .await;
    });
}

#[test]
fn sim_connect_refused() {
    on_one_sim_node!(|env| cases::connect_refused(env, sim_addr(1, 1)));
}

#[test]
fn real_connect_refused() {
    on_real(|env| cases::connect_refused(env, loopback_closed_port()));
}

#[test]
fn sim_timeouts() {
    on_one_sim_node!(cases::timeouts);
}

#[test]
fn real_timeouts() {
    on_real(cases::timeouts);
}

#[test]
fn sim_random_forks() {
    on_one_sim_node!(|env| async move { cases::random_forks(env) });
}

#[test]
fn real_random_forks() {
    on_real(|env| async move { cases::random_forks(env) });
}

#[test]
fn sim_segment_lifecycle() {
    on_one_sim_node!(|env| async move {
        cases::segment_lifecycle(env, Path::new("/store/commitlog")).await
    });
}

#[test]
fn real_segment_lifecycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("commitlog");
    on_real(|env| async move { cases::segment_lifecycle(env, &path).await });
}

#[test]
fn sim_files_and_dirs() {
    on_one_sim_node!(|env| async move { cases::files_and_dirs(env, Path::new("/store")).await });
}

#[test]
fn real_files_and_dirs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    on_real(|env| async move {
        rocketsim::env::Fs::create_dir_all(&env, &path).expect("mkdir");
        cases::files_and_dirs(env, &path).await
    });
}
