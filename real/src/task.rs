//! Tasks on tokio. A `TokioTask` is a detached-on-drop handle, exactly like tokio's own
//! `JoinHandle`: the seam says dropping the handle must not stop the task.

use rocketsim::env::Task;
use tokio::task::JoinHandle;

/// A task spawned by `TokioEnv::spawn`.
#[derive(Debug)]
pub struct TokioTask {
    handle: JoinHandle<()>,
}

impl TokioTask {
    pub(crate) fn new(handle: JoinHandle<()>) -> Self {
        TokioTask { handle }
    }
}

impl Task for TokioTask {
    fn abort(&self) {
        self.handle.abort();
    }

    fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

/// Runs `work` on tokio's blocking pool and waits for it, re-raising its panic on the awaiting
/// task as if it had run there. The work is spawned on first poll, not when this is called:
/// like the simulation, which runs it inline when awaited.
pub(crate) async fn run_blocking<F, R>(work: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Nothing aborts a blocking task through its handle; tokio cancels one only when the
        // runtime shuts down, and then the awaiting task is dropped, never woken with this.
        Err(error) => panic!("blocking work cancelled while awaited: {error}"),
    }
}
