//! The remoting layer's conformance cases, each run in simulation (several seeds) and for real
//! over loopback.

mod support;

use support::{loopback_any, on_real, on_sim, rpc_cases, sim_addr, sim_ip};

const SEEDS: std::ops::Range<u64> = 1..6;

macro_rules! both_worlds {
    ($($name:ident),* $(,)?) => {
        mod sim {
            use super::*;
            $(
                #[test]
                fn $name() {
                    for seed in SEEDS {
                        on_sim(seed, |world| async move {
                            let server = world.add_client_node("server", sim_ip(1));
                            let client = world.add_client_node("client", sim_ip(2));
                            let server_env = world.env(server);
                            world
                                .run_on(client, move |env| {
                                    rpc_cases::$name(server_env, env, sim_addr(1, 10911))
                                })
                                .await
                                .expect("client node stays up");
                        });
                    }
                }
            )*
        }
        mod real {
            use super::*;
            $(
                #[test]
                fn $name() {
                    on_real(|env| rpc_cases::$name(env.clone(), env, loopback_any()));
                }
            )*
        }
    };
}

both_worlds!(
    concurrent_calls_match_responses,
    unknown_code_is_not_supported,
    slow_call_times_out,
    oneway_reaches_processor,
    server_calls_client_back,
    malformed_frame_closes_only_its_connection,
    fragmented_and_binary_frames,
    pending_calls_fail_on_close,
);
