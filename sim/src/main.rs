//! `rocketsim`: run seeded simulations of a rocketsim cluster from scenario files.
//!
//! Thin: parses the command line, loads the scenario, calls `runner`, prints, exits with the
//! contract's code (see `runner`).

// A simulated cluster allocates per message (headers, ext fields, frames, timers); glibc's
// malloc and free were ~20% of a steady-state run (perf), mimalloc far less. Allocation
// order and addresses do not reach behaviour: nothing iterates by address.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{ArgAction, Parser, Subcommand};
use rocketsim_sim::runner::{
    self, Observer, RunOptions, RunReport, EXIT_NONDETERMINISM, EXIT_PASS, EXIT_USAGE,
};
use rocketsim_sim::scenario::{self, Expect, Scenario};
use rocketsim_sim::sweep::{self, caught, reproduce_command, ScenarioSweep};
use rocketsim_sim::timeline::{self, Category};
use rocketsim_sim::{first_divergence, TraceEvent};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "rocketsim",
    version,
    about = "Deterministic simulation of a RocketMQ-compatible cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario with one seed.
    Run {
        /// The scenario file.
        file: PathBuf,
        /// The seed: the same seed reproduces the same run exactly.
        #[arg(long)]
        seed: u64,
        /// Write the event trace as JSON lines to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Write a self-contained HTML timeline of the run to this file.
        #[arg(long)]
        timeline: Option<PathBuf>,
        /// Print faults and notable events as they happen (-vv: also the workload's progress).
        #[arg(short, long, action = ArgAction::Count)]
        verbose: u8,
    },
    /// Run a range of seeds of a scenario file (or of every file in a directory).
    Sweep {
        /// A scenario file or a directory of them.
        path: PathBuf,
        /// Seeds as `A..B` (B excluded) or `A..=B`.
        #[arg(long)]
        seeds: String,
        /// Runs at once (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Run one seed twice and compare the full event traces.
    CheckDeterminism {
        /// The scenario file.
        file: PathBuf,
        /// The seed.
        #[arg(long)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_PASS
            };
            let _ = error.print();
            return exit(code);
        }
    };
    let code = match cli.command {
        Command::Run {
            file,
            seed,
            trace,
            timeline,
            verbose,
        } => {
            let outputs = Outputs {
                trace,
                timeline,
                verbose,
            };
            run(&file, seed, &outputs)
        }
        Command::Sweep { path, seeds, jobs } => sweep(&path, &seeds, jobs),
        Command::CheckDeterminism { file, seed } => check_determinism(&file, seed),
    };
    exit(code)
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn load(file: &Path) -> Result<Arc<Scenario>, i32> {
    scenario::load(file).map(Arc::new).map_err(|error| {
        eprintln!("rocketsim: {error}");
        EXIT_USAGE
    })
}

/// What `run` writes besides its standard output.
struct Outputs {
    trace: Option<PathBuf>,
    timeline: Option<PathBuf>,
    verbose: u8,
}

/// `-v`: faults, lifecycle, routes and other notable events; `-vv`: the workload's progress too.
fn verbose_observer(verbose: u8) -> Option<Observer> {
    if verbose == 0 {
        return None;
    }
    let observer: Observer = Arc::new(move |event: &TraceEvent| {
        let shown = match timeline::classify(event) {
            Category::Noise => false,
            Category::Progress => verbose >= 2,
            _ => true,
        };
        if shown {
            println!("{}", verbose_line(event));
        }
    });
    Some(observer)
}

fn verbose_line(event: &TraceEvent) -> String {
    let secs = event.virtual_nanos as f64 / 1e9;
    let source = match event.target.as_str() {
        "world" => String::new(),
        target => format!("{}: ", target.trim_start_matches("rocketsim::")),
    };
    format!(
        "[{secs:>10.3}s] {:<12} {source}{}",
        event.node, event.message
    )
}

fn run(file: &Path, seed: u64, outputs: &Outputs) -> i32 {
    let scenario = match load(file) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    println!("seed: {seed}");
    println!("scenario: {}", file.display());
    let options = toml::to_string(&*scenario).unwrap_or_else(|e| format!("<unprintable: {e}>"));
    println!("options:");
    for line in options.lines() {
        println!("    {line}");
    }
    let options = RunOptions {
        keep_trace: outputs.trace.is_some() || outputs.timeline.is_some(),
        progress: true,
        observer: verbose_observer(outputs.verbose),
    };
    let report = runner::run_scenario_with(&scenario, seed, options);
    if let Some(path) = &outputs.trace {
        if let Err(error) = write_trace(path, &report) {
            eprintln!("rocketsim: cannot write trace {}: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    if let Some(path) = &outputs.timeline {
        if let Err(error) = write_timeline(path, file, &scenario, &report) {
            eprintln!(
                "rocketsim: cannot write timeline {}: {error}",
                path.display()
            );
            return EXIT_USAGE;
        }
        println!("timeline: {}", path.display());
    }
    for line in report.violation_lines() {
        println!("{line}");
    }
    if !report.passed() {
        println!("reproduce: {}", reproduce_command(file, seed));
    }
    println!("reached: {}", report.verdict.reached.join(" "));
    if scenario.scenario.expect == Expect::Fail {
        println!("canary: this scenario plants a bug; a sweep must catch it in some seed");
    }
    println!("{}", report.final_line());
    report.exit_code()
}

fn write_trace(path: &Path, report: &RunReport) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for event in report.trace.iter().flatten() {
        serde_json::to_writer(&mut out, event)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn write_timeline(
    path: &Path,
    file: &Path,
    scenario: &Scenario,
    report: &RunReport,
) -> std::io::Result<()> {
    let name = &scenario.scenario.name;
    let reproduce = reproduce_command(file, report.seed);
    let timeline = report
        .timeline(name, &reproduce)
        .ok_or_else(|| std::io::Error::other("the run kept no trace"))?;
    std::fs::write(path, timeline::render(&timeline))
}

fn check_determinism(file: &Path, seed: u64) -> i32 {
    let scenario = match load(file) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let first = runner::run_scenario(&scenario, seed, true, false);
    let second = runner::run_scenario(&scenario, seed, true, false);
    let (a, b) = (
        first.trace.as_deref().unwrap_or(&[]),
        second.trace.as_deref().unwrap_or(&[]),
    );
    let diverged = first.trace_hash != second.trace_hash || first_divergence(a, b).is_some();
    if diverged {
        println!(
            "NONDETERMINISM: seed {seed} gave trace {:016x} ({} events) then {:016x} ({} events)",
            first.trace_hash, first.events, second.trace_hash, second.events
        );
        if let Some(index) = first_divergence(a, b) {
            println!("first divergence at event {index}:");
            println!(
                "  run 1: {}",
                a.get(index)
                    .map_or("<end of trace>".into(), ToString::to_string)
            );
            println!(
                "  run 2: {}",
                b.get(index)
                    .map_or("<end of trace>".into(), ToString::to_string)
            );
        }
        println!(
            "reproduce: cargo run --release --bin rocketsim -- check-determinism {} --seed {seed}",
            file.display()
        );
        println!(
            "{} determinism=diverged",
            first.final_line().replacen("result=pass", "result=fail", 1)
        );
        return EXIT_NONDETERMINISM;
    }
    println!("{} determinism=ok", first.final_line());
    if scenario.scenario.expect == Expect::Fail && caught(&first) {
        // A canary is checked for determinism here, not for its verdict.
        return EXIT_PASS;
    }
    first.exit_code()
}

fn parse_seeds(text: &str) -> Option<std::ops::Range<u64>> {
    if let Some((a, b)) = text.split_once("..=") {
        let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
        return (a <= b).then(|| a..b.saturating_add(1));
    }
    let (a, b) = text.split_once("..")?;
    let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
    (a < b).then_some(a..b)
}

fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn sweep(path: &Path, seeds: &str, jobs: Option<usize>) -> i32 {
    let Some(range) = parse_seeds(seeds) else {
        eprintln!("rocketsim: --seeds {seeds:?}: expected A..B or A..=B with A < B");
        return EXIT_USAGE;
    };
    let files = match scenario_files(path) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("rocketsim: {}: no scenario files", path.display());
            return EXIT_USAGE;
        }
        Err(error) => {
            eprintln!("rocketsim: {error}");
            return EXIT_USAGE;
        }
    };
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    for file in &files {
        let scenario = match load(file) {
            Ok(scenario) => scenario,
            Err(code) => return code,
        };
        rows.push(sweep::sweep_scenario(file, &scenario, range.clone(), jobs));
    }
    println!();
    print!(
        "{}",
        sweep::summary::table(&rows, |row, seed| reproduce_command(&row.file, seed))
    );
    println!();
    print!("{}", sweep::summary::probes(&rows));
    let total: u64 = rows.iter().map(ScenarioSweep::seeds).sum();
    let failed: u64 = rows.iter().map(|r| r.failed().count() as u64).sum();
    let caught: u64 = rows.iter().map(|r| r.caught().count() as u64).sum();
    let virtual_secs: f64 = rows.iter().map(ScenarioSweep::virtual_secs).sum();
    println!(
        "seeds={total} passed={} failed={failed} canary_caught={caught} wall_s={:.3} virtual_s={virtual_secs:.3}",
        total - failed - caught,
        started.elapsed().as_secs_f64()
    );
    sweep::exit_code(&rows)
}
