//! Routing of incoming requests to processors by request code.
//!
//! A node registers one [`Processor`] per request code it serves. Unknown codes are answered
//! REQUEST_CODE_NOT_SUPPORTED with RocketMQ's remark, so a client learns what is missing
//! instead of timing out.

use super::connection::{ConnInfo, Connection};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// What a processor knows about the request besides the command itself.
#[derive(Clone)]
pub struct RequestContext {
    /// The connection the request came on: its peer address (a message's born host) and a
    /// handle to send requests back to the peer.
    pub connection: Connection,
}

impl RequestContext {
    /// Identity and addresses of the connection.
    pub fn info(&self) -> ConnInfo {
        self.connection.info()
    }
}

/// Handles the requests of one request code. Returns the response; for oneway requests the
/// response is dropped, so processors need not care.
pub trait Processor: Send + Sync + 'static {
    /// Processes one request.
    fn process(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> BoxFuture<'static, RemotingCommand>;
}

impl<F, Fut> Processor for F
where
    F: Fn(RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = RemotingCommand> + Send + 'static,
{
    fn process(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> BoxFuture<'static, RemotingCommand> {
        Box::pin(self(ctx, request))
    }
}

/// An error a processor answers with instead of a result: its response (code and remark).
pub trait Refusal: std::fmt::Display + Send + 'static {
    /// The response that tells the caller what was wrong.
    fn response(&self) -> RemotingCommand;
}

pub(super) type CloseListener = Arc<dyn Fn(ConnInfo) + Send + Sync>;

/// Request code → processor, plus who to tell when a connection closes.
#[derive(Clone, Default)]
pub struct Dispatcher {
    pub(super) processors: BTreeMap<i32, Arc<dyn Processor>>,
    pub(super) on_close: Option<CloseListener>,
}

impl Dispatcher {
    /// A dispatcher that serves nothing (every request → REQUEST_CODE_NOT_SUPPORTED).
    pub fn new() -> Self {
        Dispatcher::default()
    }

    /// Serves `code` with `processor`, replacing any earlier one.
    pub fn register(mut self, code: RequestCode, processor: impl Processor) -> Self {
        self.processors.insert(code.0, Arc::new(processor));
        self
    }

    /// Serves `code` with a fallible `handler` that gets a shared `state`; an `Err` is
    /// answered with the error's own response (and logged at debug).
    pub fn register_with<S, F, Fut, R>(self, code: RequestCode, state: &Arc<S>, handler: F) -> Self
    where
        S: Send + Sync + 'static,
        F: Fn(Arc<S>, RequestContext, RemotingCommand) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemotingCommand, R>> + Send + 'static,
        R: Refusal,
    {
        let state = state.clone();
        self.register(code, move |ctx: RequestContext, request: RemotingCommand| {
            let reply = handler(state.clone(), ctx, request);
            async move {
                reply.await.unwrap_or_else(|error| {
                    tracing::debug!(target: "rocketsim::remoting", code = code.0, %error, "request refused");
                    error.response()
                })
            }
        })
    }

    /// Calls `listener` once for every connection that closes, for whatever reason.
    pub fn on_close(mut self, listener: impl Fn(ConnInfo) + Send + Sync + 'static) -> Self {
        self.on_close = Some(Arc::new(listener));
        self
    }

    /// Whether a processor is registered for `code`.
    pub fn serves(&self, code: RequestCode) -> bool {
        self.processors.contains_key(&code.0)
    }

    pub(super) async fn dispatch(
        &self,
        ctx: RequestContext,
        code: RequestCode,
        request: RemotingCommand,
    ) -> RemotingCommand {
        match self.processors.get(&code.0) {
            Some(processor) => processor.process(ctx, request).await,
            None => not_supported(&request, code),
        }
    }

    pub(super) fn closed(&self, info: ConnInfo) {
        if let Some(listener) = &self.on_close {
            listener(info);
        }
    }
}

fn not_supported(request: &RemotingCommand, code: RequestCode) -> RemotingCommand {
    let remark = format!(" request type {} not supported", code.0);
    RemotingCommand::response_to(
        request,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        Some(remark),
    )
}
