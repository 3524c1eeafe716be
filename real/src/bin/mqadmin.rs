//! `mqadmin <command> -n "ns1:9876;ns2:9876" [options] [--json]`: RocketMQ's admin commands
//! (see `rocketsim_real::admin_cli`). Prints the answer on stdout; errors on stderr with exit
//! 64 for a bad command line and 1 for a failed operation.

// The request path allocates per request (headers, ext fields); glibc's malloc was ~20% of the
// broker's CPU under 64 concurrent senders (perf), mimalloc about a quarter of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use rocketsim_real::admin_cli::{self, Cli};
use rocketsim_real::cli::{self, EXIT_USAGE};
use std::io::Write;
use std::process::exit;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = match error.use_stderr() {
                true => EXIT_USAGE,
                false => 0,
            };
            let _ = error.print();
            exit(code);
        }
    };
    cli::init_logging("warn");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(admin_cli::run(cli)) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        }
        Err(error) => {
            eprintln!("mqadmin: {error}");
            exit(error.exit_code());
        }
    }
}
