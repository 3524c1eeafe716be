//! Tasks as the simulation sees them: every future that runs on a node is wrapped in `Tagged`,
//! which (1) tells the trace which node is running (by name: madsim's task and node ids must
//! never reach a trace) and (2) notes which node and task panicked before the panic unwinds
//! out of madsim, so the run can report `Failure::NodePanicked` instead of aborting.
//!
//! Both facts live in thread-locals: one simulation runs on one OS thread, and parallel runs
//! on other threads never see each other's.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The node name reported for anything not running inside a node (the world's script).
pub const SUPERVISOR: &str = "world";

/// The first panic of a run, as caught in a node's task.
#[derive(Clone, Debug)]
pub struct CaughtPanic {
    pub node: String,
    pub task: &'static str,
    pub message: String,
}

thread_local! {
    static CURRENT_NODE: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
    static FIRST_PANIC: RefCell<Option<CaughtPanic>> = const { RefCell::new(None) };
}

/// The name of the node whose task is running on this thread, or `SUPERVISOR`.
pub fn current_node() -> String {
    CURRENT_NODE.with(|node| match &*node.borrow() {
        Some(name) => name.to_string(),
        None => SUPERVISOR.to_string(),
    })
}

/// Takes the first panic recorded on this thread since the last call.
pub fn take_panic() -> Option<CaughtPanic> {
    FIRST_PANIC.with(|slot| slot.borrow_mut().take())
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn note_panic(node: &str, task: &'static str, payload: &(dyn Any + Send)) {
    FIRST_PANIC.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(CaughtPanic {
                node: node.to_string(),
                task,
                message: panic_message(payload),
            });
        }
    });
}

/// Restores the previous current node when a poll ends, even by unwinding.
struct NodeScope(Option<Arc<str>>);

impl NodeScope {
    fn enter(node: Arc<str>) -> Self {
        NodeScope(CURRENT_NODE.with(|current| current.borrow_mut().replace(node)))
    }
}

impl Drop for NodeScope {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT_NODE.with(|current| *current.borrow_mut() = previous);
    }
}

/// A future running as task `task` of node `node`.
pub struct Tagged<F> {
    node: Arc<str>,
    task: &'static str,
    inner: Pin<Box<F>>,
}

impl<F: Future> Tagged<F> {
    pub fn new(node: Arc<str>, task: &'static str, inner: F) -> Self {
        Tagged {
            node,
            task,
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for Tagged<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _scope = NodeScope::enter(this.node.clone());
        let inner = &mut this.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                note_panic(&this.node, this.task, payload.as_ref());
                resume_unwind(payload)
            }
        }
    }
}
