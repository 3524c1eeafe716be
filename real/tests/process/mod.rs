//! Running the binaries as processes, as an operator does: servers on free loopback ports with
//! configuration files written by the test, logs in the test's directory, stopped by signals.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A server process, killed if the test ends before it stopped.
pub struct Server {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `binary -c conf`, stderr to `<dir>/<name>.log` (appended across restarts).
    pub fn start(name: &str, binary: &str, conf: &Path, dir: &Path) -> Server {
        let log = dir.join(format!("{name}.log"));
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = Command::new(binary)
            .arg("-c")
            .arg(conf)
            .env("HOME", dir)
            .env_remove("NAMESRV_ADDR")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Server {
            name: name.to_string(),
            child,
            log,
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: `kill` has no memory-safety preconditions; the pid is our own child, not
        // yet waited for, so it names that process.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "signal {signal} to {}", self.name);
    }

    /// Waits up to `within` for the exit; the exit code (None: killed by a signal).
    fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            sleep(Duration::from_millis(50));
        }
        panic!(
            "{} did not stop within {within:?}; log:\n{}",
            self.name,
            self.log()
        );
    }

    /// SIGTERM, then the exit code (within 20 s).
    pub fn terminate(mut self) -> Option<i32> {
        self.signal(libc::SIGTERM);
        self.wait_exit(Duration::from_secs(20))
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        self.signal(libc::SIGKILL);
        self.wait_exit(Duration::from_secs(20));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind probe");
    socket.local_addr().expect("probe addr").port()
}

/// Waits until something accepts on `port` (20 s), else fails with the servers' logs.
pub fn wait_listening(port: u16, servers: &[&Server]) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        sleep(Duration::from_millis(50));
    }
    let logs: Vec<(String, String)> = servers.iter().map(|s| (s.name.clone(), s.log())).collect();
    panic!("nothing listens on {addr}; logs: {logs:#?}");
}

/// Runs `binary args…` to completion (NAMESRV_ADDR unset).
pub fn run(binary: &str, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .output()
        .unwrap_or_else(|e| panic!("run {binary}: {e}"))
}

/// Runs a command that must succeed; its stdout.
pub fn ok(binary: &str, args: &[&str]) -> String {
    let out = run(binary, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{binary} {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

/// Retries a command until its stdout satisfies `done` (10 s at most).
pub fn until(binary: &str, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = run(binary, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && done(&stdout) {
            return stdout;
        }
        if Instant::now() > deadline {
            let stderr = String::from_utf8_lossy(&out.stderr);
            panic!("{args:?} never satisfied\nstdout: {stdout}\nstderr: {stderr}");
        }
        sleep(Duration::from_millis(100));
    }
}

/// Writes a name server config listening on `port`; its path.
pub fn namesrv_conf(dir: &Path, name: &str, port: u16) -> PathBuf {
    let path = dir.join(format!("{name}.conf"));
    let kv = dir.join(format!("{name}-kv.json"));
    fs::write(
        &path,
        format!("listenPort={port}\nkvConfigPath={}\n", kv.display()),
    )
    .expect("write namesrv conf");
    path
}

/// Writes a broker config with small store files; `extra` lines are appended; its path.
pub fn broker_conf(dir: &Path, name: &str, port: u16, namesrv: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.conf"));
    let store = dir.join(format!("{name}-store"));
    fs::write(
        &path,
        format!(
            "brokerName={name}\nlistenPort={port}\nstorePathRootDir={}\n\
             brokerIP1=127.0.0.1\nnamesrvAddr={namesrv}\n\
             mappedFileSizeCommitLog=4194304\nmappedFileSizeConsumeQueue=6000\n\
             maxHashSlotNum=1000\nmaxIndexNum=4000\n{extra}",
            store.display()
        ),
    )
    .expect("write broker conf");
    path
}
