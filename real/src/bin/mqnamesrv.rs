//! `mqnamesrv [-c namesrv.conf] [-p]`: a name server on TokioEnv, listening on 9876 unless the
//! file sets `listenPort`; with `enableControllerInNamesrv=true` also a controller on
//! `controllerListenPort` (9878). `-p` prints the effective configuration and exits.
//! SIGTERM/SIGINT stop it (a second signal exits at once).

// The request path allocates per request (headers, ext fields); glibc's malloc was ~20% of the
// broker's CPU under 64 concurrent senders (perf), mimalloc about a quarter of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use rocketsim::conf::{describe_namesrv, namesrv_config};
use rocketsim::controller::{Controller, ControllerConfig};
use rocketsim::env::Net;
use rocketsim::namesrv::{Namesrv, NamesrvConfig};
use rocketsim_real::cli::{self, ConfFileError, EXIT_START, EXIT_USAGE};
use rocketsim_real::TokioEnv;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::exit;

#[derive(Parser)]
#[command(version, about = "rocketsim name server (RocketMQ 4.9 compatible)")]
struct Args {
    /// namesrv.conf (Java properties format).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    print: bool,
    /// Log level for every component (RUST_LOG refines it).
    #[arg(long, default_value = "info")]
    log_level: String,
}

fn main() {
    let args = Args::parse();
    cli::init_logging(&args.log_level);
    let defaults = NamesrvConfig {
        kv_config_path: cli::home_dir().join("namesrv/kvConfig.json"),
        ..NamesrvConfig::default()
    };
    let entries = match &args.config_file {
        Some(path) => cli::load_entries(path).unwrap_or_else(|e| usage(e)),
        None => Vec::new(),
    };
    let controller_defaults = ControllerConfig {
        store_path: cli::home_dir().join("controller/groups.json"),
        ..ControllerConfig::default()
    };
    let loaded = namesrv_config(&entries, defaults, controller_defaults).unwrap_or_else(|source| {
        let path = args.config_file.clone().unwrap_or_default();
        usage(ConfFileError::Value { path, source })
    });
    cli::report_warnings(args.config_file.as_deref(), &loaded.warnings);
    let settings = loaded.config;
    if args.print {
        for (key, value) in describe_namesrv(&settings) {
            println!("{key}={value}");
        }
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(async move {
        let signal = match cli::shutdown_signal() {
            Ok(signal) => signal,
            Err(error) => return fail(format!("cannot install signal handlers: {error}")),
        };
        let env = TokioEnv::new();
        let bind = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), settings.listen_port);
        let listener = match env.bind(bind).await {
            Ok(listener) => listener,
            Err(error) => return fail(format!("cannot listen on {bind}: {error}")),
        };
        let namesrv = match Namesrv::start(env.clone(), listener, settings.config).await {
            Ok(namesrv) => namesrv,
            Err(error) => return fail(error.to_string()),
        };
        let controller = match settings.enable_controller {
            false => None,
            true => {
                let port = settings.controller.listen_port;
                let bind = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
                let listener = match env.bind(bind).await {
                    Ok(listener) => listener,
                    Err(error) => return fail(format!("cannot listen on {bind}: {error}")),
                };
                match Controller::start(env, listener, settings.controller.config).await {
                    Ok(controller) => Some(controller),
                    Err(error) => return fail(error.to_string()),
                }
            }
        };
        tracing::info!(target: "rocketsim::namesrv", addr = %namesrv.local_addr(), controller = ?controller.as_ref().map(Controller::local_addr), "the name server boot success");
        signal.wait().await;
        if let Some(controller) = &controller {
            controller.shutdown();
        }
        namesrv.shutdown();
        tracing::info!(target: "rocketsim::namesrv", "stopped");
        0
    });
    exit(code);
}

fn usage(error: ConfFileError) -> ! {
    eprintln!("mqnamesrv: {error}");
    exit(EXIT_USAGE);
}

fn fail(message: String) -> i32 {
    tracing::error!(target: "rocketsim::namesrv", "{message}");
    eprintln!("mqnamesrv: {message}");
    EXIT_START
}
