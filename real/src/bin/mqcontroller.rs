//! `mqcontroller [-c controller.conf] [-p]`: a standalone controller (RocketMQ 5 controller
//! mode) on TokioEnv, listening on 9878 unless the file sets `listenPort`. `-p` prints the
//! effective configuration and exits. SIGTERM/SIGINT stop it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use rocketsim::conf::{controller_config, describe_controller};
use rocketsim::controller::{Controller, ControllerConfig};
use rocketsim::env::Net;
use rocketsim_real::cli::{self, ConfFileError, EXIT_START, EXIT_USAGE};
use rocketsim_real::TokioEnv;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::exit;

#[derive(Parser)]
#[command(
    version,
    about = "rocketsim controller (RocketMQ 5 controller mode, single node)"
)]
struct Args {
    /// controller.conf (Java properties format).
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
    let defaults = ControllerConfig {
        store_path: cli::home_dir().join("controller/groups.json"),
        ..ControllerConfig::default()
    };
    let entries = match &args.config_file {
        Some(path) => cli::load_entries(path).unwrap_or_else(|e| usage(e)),
        None => Vec::new(),
    };
    let loaded = controller_config(&entries, defaults).unwrap_or_else(|source| {
        let path = args.config_file.clone().unwrap_or_default();
        usage(ConfFileError::Value { path, source })
    });
    cli::report_warnings(args.config_file.as_deref(), &loaded.warnings);
    let settings = loaded.config;
    if args.print {
        for (key, value) in describe_controller(&settings, "listenPort") {
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
        let controller = match Controller::start(env, listener, settings.config).await {
            Ok(controller) => controller,
            Err(error) => return fail(error.to_string()),
        };
        tracing::info!(target: "rocketsim::controller", addr = %controller.local_addr(), "the controller boot success");
        signal.wait().await;
        controller.shutdown();
        tracing::info!(target: "rocketsim::controller", "stopped");
        0
    });
    exit(code);
}

fn usage(error: ConfFileError) -> ! {
    eprintln!("mqcontroller: {error}");
    exit(EXIT_USAGE);
}

fn fail(message: String) -> i32 {
    tracing::error!(target: "rocketsim::controller", "{message}");
    eprintln!("mqcontroller: {message}");
    EXIT_START
}
