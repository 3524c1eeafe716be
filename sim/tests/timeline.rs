//! A real run's timeline, rendered by headless Chromium: the page must load from a file with
//! nothing else, and its DOM must hold one SVG lane per node of the scenario.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it when missing). A
//! machine without it fails this test, unless `ROCKETSIM_SKIP_BROWSER=1` says to skip it.

use rocketsim_sim::runner::{run_scenario, RunReport};
use rocketsim_sim::scenario::load;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long Chromium may take for one page.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

fn scenario_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file)
}

/// Runs steady-state with seed 7, keeping the trace, and writes its timeline into `dir`.
fn steady_state_page(dir: &Path) -> (RunReport, PathBuf, String) {
    let mut scenario = load(&scenario_path("steady-state.toml")).expect("scenario loads");
    // One virtual minute of the ten the file runs is plenty for a page.
    scenario.scenario.safety_s = 60;
    let scenario = Arc::new(scenario);
    let report = run_scenario(&scenario, 7, true, false);
    assert!(report.passed(), "{:?}", report.violation_lines());
    let timeline = report
        .timeline(
            "steady-state",
            "rocketsim run scenarios/steady-state.toml --seed 7",
        )
        .expect("the trace was kept");
    let html = rocketsim_sim::timeline::render(&timeline);
    let path = dir.join("steady-state.html");
    std::fs::write(&path, &html).expect("write the page");
    (report, path, html)
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rocketsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch dir");
    dir
}

/// The Chromium binary, or `None` when the test is allowed to skip without one.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .filter_map(|name| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
        .next();
    if found.is_none() && std::env::var("ROCKETSIM_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("##########################################################################");
        eprintln!("# SKIPPED: no Chromium on PATH and ROCKETSIM_SKIP_BROWSER=1.              #");
        eprintln!("# The timeline was NOT checked in a browser. Install it: apt-get install  #");
        eprintln!("# -y chromium                                                            #");
        eprintln!("##########################################################################");
        return None;
    }
    Some(found.expect(
        "no Chromium on PATH: `apt-get install -y chromium` (set ROCKETSIM_SKIP_BROWSER=1 to skip)",
    ))
}

/// Runs headless Chromium with `args` then the page's URL; returns its standard output.
fn headless(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> String {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            panic!("chromium took more than {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium failed: {status}");
    reader.join().expect("reader thread")
}

#[test]
fn the_page_is_self_contained_and_has_a_lane_per_node() {
    let dir = scratch_dir("timeline-page");
    let (report, _, html) = steady_state_page(&dir);
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains(&format!("{:016x}", report.trace_hash)));
    for node in [
        "namesrv-1",
        "broker-a",
        "broker-b",
        "producer-1",
        "consumer-1",
    ] {
        assert!(html.contains(&format!("data-node=\"{node}\"")), "{node}");
    }
    for series in ["sent", "acked", "consumed"] {
        assert!(
            html.contains(&format!("data-series=\"{series}\"")),
            "{series}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn headless_chromium_renders_the_lanes() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("timeline-browser");
    let (_, page, _) = steady_state_page(&dir);
    let profile = dir.join("profile");

    let dom = headless(&browser, &profile, &["--dump-dom"], &page);
    assert!(dom.contains("<svg id=\"lanes\""), "no lanes in the DOM");
    assert!(dom.contains("<svg id=\"rates\""), "no rates in the DOM");
    for node in [
        "namesrv-1",
        "namesrv-2",
        "broker-a",
        "broker-b",
        "consumer-1",
    ] {
        assert!(dom.contains(&format!("data-node=\"{node}\"")), "{node}");
    }
    assert!(dom.contains("<h1>steady-state</h1>"));

    let png = dir.join("shot.png");
    let shot = format!("--screenshot={}", png.display());
    headless(
        &browser,
        &profile,
        &[&shot, "--window-size=1250,900"],
        &page,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    // A blank 1250x900 page compresses to a few KB; lanes, text and the chart do not.
    assert!(bytes.len() > 20_000, "screenshot of {} bytes", bytes.len());
    let _ = std::fs::remove_dir_all(&dir);
}
