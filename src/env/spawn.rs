//! Tasks: the only way `src/` starts concurrent work. In simulation every task runs on the node
//! that spawned it and dies with it (kill, power loss); in the real build tasks run on tokio.

use std::future::Future;

/// A handle to a spawned task. Dropping it detaches the task (it keeps running).
pub trait Task: Send + 'static {
    /// Cancels the task at its next await point. Used to stop per-connection drivers and
    /// background loops on shutdown.
    fn abort(&self);

    /// Whether the task has completed (or was aborted and has stopped).
    fn is_finished(&self) -> bool;
}

/// Starting concurrent work.
pub trait Spawn {
    /// The handle type returned by `spawn`.
    type Task: Task;

    /// Starts `future` as an independent task. `name` identifies it in logs and traces
    /// (keep it static: task names must not carry runtime ids into a trace).
    fn spawn<F>(&self, name: &'static str, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static;

    /// Runs blocking work (an msync of a mapped segment, a large fsync) without stalling the
    /// async threads. In simulation it runs inline: there is no blocking in virtual time.
    fn spawn_blocking<F, R>(&self, work: F) -> impl Future<Output = R> + Send
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;
}
