//! Mechanical gate on `src/`: the core reaches the world only through `env`, so that the
//! simulation is deterministic. Fails naming file, line and rule.

use std::path::{Path, PathBuf};

/// (pattern, why it is banned). Matched against code with `//` comments removed.
const BANNED: &[(&str, &str)] = &[
    (
        "Instant::now",
        "ambient monotonic time: use env::Clock::now",
    ),
    (
        "SystemTime::now",
        "ambient wall time: use env::Clock::now_millis",
    ),
    ("std::fs", "direct disk access: use env::Fs"),
    ("thread_rng", "ambient randomness: use env::Random"),
    ("OsRng", "ambient randomness: use env::Random"),
    ("std::thread", "threads break determinism: use env::Spawn"),
    ("dbg!", "debug leftovers"),
    ("todo!", "unfinished code"),
    ("unimplemented!", "unfinished code"),
    (
        "HashMap",
        "iteration order leaks into behaviour: use BTreeMap (or mark `tidy: lookup-only`)",
    ),
    (
        "HashSet",
        "iteration order leaks into behaviour: use BTreeSet (or mark `tidy: lookup-only`)",
    ),
];

/// `tokio::` paths the core may use: runtime-agnostic synchronisation only.
const TOKIO_ALLOWED: &[&str] = &["tokio::sync::"];

fn violations(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (index, raw) in lines.iter().enumerate() {
        let line_no = index + 1;
        let code = raw.split("//").next().unwrap_or("");
        let lookup_only = raw.contains("tidy: lookup-only");
        for (pattern, why) in BANNED {
            let hash = pattern.starts_with("Hash");
            if code.contains(pattern) && !(hash && lookup_only) {
                found.push((line_no, format!("`{pattern}`: {why}")));
            }
        }
        for (start, _) in code.match_indices("tokio::") {
            let rest = &code[start..];
            if !TOKIO_ALLOWED
                .iter()
                .any(|allowed| rest.starts_with(allowed))
            {
                found.push((
                    line_no,
                    "`tokio::` outside tokio::sync: the core is runtime-agnostic".into(),
                ));
            }
        }
        if (code.contains("#[allow(") || code.contains("#![allow("))
            && !attribute(&lines, index).contains("reason")
        {
            found.push((line_no, "`#[allow]` without `reason = \"…\"`".into()));
        }
    }
    found
}

/// The attribute starting on line `start`, up to its closing `)]` (attributes may span lines).
fn attribute(lines: &[&str], start: usize) -> String {
    let mut text = String::new();
    for line in lines.iter().skip(start).take(10) {
        text.push_str(line);
        if line.contains(")]") {
            break;
        }
    }
    text
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_never_touches_the_world_directly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 5,
        "tidy found too few files under {}",
        root.display()
    );
    let mut report = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        for (line, why) in violations(&text) {
            report.push(format!("{}:{line}: {why}", file.display()));
        }
    }
    assert!(report.is_empty(), "tidy found:\n{}", report.join("\n"));
}

#[test]
fn the_rules_bite() {
    let bad = "let t = std::time::Instant::now();\nuse tokio::net::TcpStream;\n#[allow(dead_code)]\nfn f() { todo!() }\nlet m: HashMap<u8, u8> = HashMap::new();\n";
    let lines: Vec<usize> = violations(bad).into_iter().map(|(line, _)| line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4, 5]);
    let fine = "use tokio::sync::mpsc;\n#[allow(clippy::x, reason = \"why\")]\n#[allow(\n    clippy::y,\n    reason = \"why\"\n)]\n// Instant::now in a comment\nlet m: HashMap<u8, u8> = HashMap::new(); // tidy: lookup-only\n";
    assert!(violations(fine).is_empty(), "{:?}", violations(fine));
}
