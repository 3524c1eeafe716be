//! `mqadmin <command> -n <namesrv;namesrv> [options] [--json]`: the command line over
//! `rocketsim::admin`. RocketMQ's command names and short options (§7.2); one file per group
//! of commands, each parsing its options into a call of `Admin` and rendering the answer with
//! `rocketsim::admin::render`.
//!
//! Exit codes: 0 success, [`EXIT_USAGE`] (64) for a bad command line (unknown command, bad
//! option, no name server, an address that does not resolve), [`EXIT_FAILURE`] (1) when an
//! operation fails; the reason goes to stderr.

mod cluster;
mod group;
mod message;
mod topic;

use crate::cli::{local_ip, resolve_host_port, EXIT_USAGE};
use crate::TokioEnv;
use clap::{Parser, Subcommand};
use rocketsim::admin::{Admin, AdminConfig, AdminError};
use std::net::SocketAddr;

/// Exit code of a failed operation.
pub const EXIT_FAILURE: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "mqadmin",
    version,
    about = "rocketsim admin tool (RocketMQ 4.9 mqadmin commands)"
)]
pub struct Cli {
    /// Name servers, `host:port;host:port` (default: $NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrvAddr", global = true)]
    pub namesrv_addr: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Timeout of each call, in milliseconds.
    #[arg(long, global = true, default_value_t = 5_000)]
    pub timeout_ms: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(name = "updateTopic", about = "Create or update a topic")]
    UpdateTopic(topic::UpdateTopic),
    #[command(
        name = "deleteTopic",
        about = "Delete a topic from a cluster and the name servers"
    )]
    DeleteTopic(topic::DeleteTopic),
    #[command(name = "topicList", about = "List every topic")]
    TopicList,
    #[command(name = "topicRoute", about = "Show a topic's route")]
    TopicRoute(topic::TopicArg),
    #[command(name = "topicStatus", about = "Show each queue's min and max offset")]
    TopicStatus(topic::TopicArg),
    #[command(name = "clusterList", about = "List brokers with version and TPS")]
    ClusterList,
    #[command(name = "brokerStatus", about = "Show a broker's runtime info")]
    BrokerStatus(cluster::BrokerStatus),
    #[command(
        name = "wipeWritePerm",
        about = "Wipe a broker's write permission on every name server"
    )]
    WipeWritePerm(cluster::BrokerNameArg),
    #[command(
        name = "addWritePerm",
        about = "Restore a broker's write permission on every name server"
    )]
    AddWritePerm(cluster::BrokerNameArg),
    #[command(
        name = "updateSubGroup",
        about = "Create or update a subscription group"
    )]
    UpdateSubGroup(group::UpdateSubGroup),
    #[command(name = "consumerProgress", about = "Show a group's offsets and lag")]
    ConsumerProgress(group::ConsumerProgress),
    #[command(
        name = "resetOffsetByTime",
        about = "Reset an offline group's offsets to a time"
    )]
    ResetOffsetByTime(group::ResetOffsetByTime),
    #[command(
        name = "queryMsgById",
        about = "Show a message by its offset message id"
    )]
    QueryMsgById(message::QueryMsgById),
    #[command(name = "queryMsgByKey", about = "Find messages by key")]
    QueryMsgByKey(message::QueryMsgByKey),
    #[command(
        name = "queryMsgByOffset",
        about = "Show the message at a queue offset"
    )]
    QueryMsgByOffset(message::QueryMsgByOffset),
    #[command(name = "sendMessage", about = "Send one message")]
    SendMessage(message::SendMessage),
    #[command(
        name = "consumeMessage",
        about = "Read messages without committing offsets"
    )]
    ConsumeMessage(message::ConsumeMessage),
    #[command(
        name = "electMaster",
        about = "Make a replica the master of its group (controller mode; needs no name server)"
    )]
    ElectMaster(cluster::ElectMaster),
}

/// What a command prints: a table (or lines) and the same as JSON.
pub struct Printed {
    pub text: String,
    pub json: String,
}

/// A command-line problem found after parsing.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("no name server: give -n host:port[;host:port] or set NAMESRV_ADDR")]
    NoNameServer,
    #[error("{what} {text:?}: {reason}")]
    BadAddress {
        what: &'static str,
        text: String,
        reason: String,
    },
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(#[from] UsageError),
    #[error("{0}")]
    Failed(#[from] AdminError),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Failed(_) => EXIT_FAILURE,
        }
    }
}

/// `host:port;host:port` (either separator `;` or `,`), each resolved.
pub fn parse_namesrv(text: &str) -> Result<Vec<SocketAddr>, UsageError> {
    let mut addrs = Vec::new();
    for part in text
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        addrs.push(resolve_one("name server", part)?);
    }
    match addrs.is_empty() {
        true => Err(UsageError::NoNameServer),
        false => Ok(addrs),
    }
}

/// One `host:port`, resolved to its first address.
pub fn resolve_one(what: &'static str, text: &str) -> Result<SocketAddr, UsageError> {
    let bad = |reason: String| UsageError::BadAddress {
        what,
        text: text.to_string(),
        reason,
    };
    let resolved = resolve_host_port(text).map_err(bad)?;
    resolved
        .into_iter()
        .next()
        .ok_or_else(|| bad("resolves to nothing".into()))
}

/// The name servers from `-n`, else `NAMESRV_ADDR`.
fn namesrv_addrs(cli: &Cli) -> Result<Vec<SocketAddr>, UsageError> {
    let text = match &cli.namesrv_addr {
        Some(text) => text.clone(),
        None => std::env::var("NAMESRV_ADDR").map_err(|_| UsageError::NoNameServer)?,
    };
    parse_namesrv(&text)
}

/// Runs the parsed command; the text to print on success.
pub async fn run(cli: Cli) -> Result<String, CliError> {
    let namesrv = match (&cli.command, namesrv_addrs(&cli)) {
        // electMaster talks to the controller only.
        (Command::ElectMaster(_), Err(UsageError::NoNameServer)) => Vec::new(),
        (_, addrs) => addrs?,
    };
    let mut config = AdminConfig::new(namesrv, local_ip());
    config.call_timeout = std::time::Duration::from_millis(cli.timeout_ms);
    let env = TokioEnv::new();
    let admin = Admin::new(env.clone(), config);
    let printed = dispatch(&admin, &env, cli.command).await;
    admin.close();
    let printed = printed?;
    Ok(match cli.json {
        true => printed.json,
        false => printed.text,
    })
}

async fn dispatch(
    admin: &Admin<TokioEnv>,
    env: &TokioEnv,
    command: Command,
) -> Result<Printed, CliError> {
    match command {
        Command::UpdateTopic(args) => topic::update(admin, args).await,
        Command::DeleteTopic(args) => topic::delete(admin, args).await,
        Command::TopicList => topic::list(admin).await,
        Command::TopicRoute(args) => topic::route(admin, args).await,
        Command::TopicStatus(args) => topic::status(admin, args).await,
        Command::ClusterList => cluster::list(admin).await,
        Command::BrokerStatus(args) => cluster::status(admin, args).await,
        Command::WipeWritePerm(args) => cluster::write_perm(admin, args, true).await,
        Command::AddWritePerm(args) => cluster::write_perm(admin, args, false).await,
        Command::UpdateSubGroup(args) => group::update(admin, args).await,
        Command::ConsumerProgress(args) => group::progress(admin, args).await,
        Command::ResetOffsetByTime(args) => group::reset(admin, env, args).await,
        Command::QueryMsgById(args) => message::by_id(admin, args).await,
        Command::QueryMsgByKey(args) => message::by_key(admin, args).await,
        Command::QueryMsgByOffset(args) => message::by_offset(admin, args).await,
        Command::SendMessage(args) => message::send(admin, args).await,
        Command::ConsumeMessage(args) => message::consume(admin, args).await,
        Command::ElectMaster(args) => cluster::elect_master(admin, args).await,
    }
}

#[cfg(test)]
mod tests;
