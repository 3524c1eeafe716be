//! `updateSubGroup`, `consumerProgress`, `resetOffsetByTime`.

use super::topic::target;
use super::{CliError, Printed};
use crate::TokioEnv;
use clap::{ArgGroup, Args};
use rocketsim::admin::{render, Admin};
use rocketsim::env::Clock;
use rocketsim::store::metadata::SubscriptionGroupConfig;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["cluster", "broker"])))]
pub struct UpdateSubGroup {
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
    /// The broker, `host:port`.
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker: Option<String>,
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
    /// Consumption allowed (`true`/`false`).
    #[arg(short = 's', long = "consumeEnable", default_value_t = true, action = clap::ArgAction::Set)]
    pub consume_enable: bool,
    /// Retries before a message goes to the dead-letter queue.
    #[arg(short = 'r', long = "retryMaxTimes", default_value_t = 16)]
    pub retry_max_times: i32,
}

pub async fn update(admin: &Admin<TokioEnv>, args: UpdateSubGroup) -> Result<Printed, CliError> {
    let target = target(args.cluster, args.broker)?;
    let config = SubscriptionGroupConfig {
        group_name: args.group,
        consume_enable: args.consume_enable,
        retry_max_times: args.retry_max_times,
        ..SubscriptionGroupConfig::default()
    };
    let done = admin.update_sub_group(&target, &config).await?;
    Ok(Printed {
        text: render::done(&done),
        json: render::json(&done),
    })
}

#[derive(Debug, Args)]
pub struct ConsumerProgress {
    #[arg(short = 'g', long = "groupName")]
    pub group: String,
    /// Only this topic.
    #[arg(short = 't', long = "topicName")]
    pub topic: Option<String>,
}

pub async fn progress(
    admin: &Admin<TokioEnv>,
    args: ConsumerProgress,
) -> Result<Printed, CliError> {
    let progress = admin
        .consumer_progress(&args.group, args.topic.as_deref())
        .await?;
    Ok(Printed {
        text: render::consumer_progress(&progress),
        json: render::json(&progress),
    })
}

/// When to reset to: `now` or milliseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Now,
    Ms(i64),
}

/// Parses `-s`.
pub fn parse_when(text: &str) -> Result<When, String> {
    if text.eq_ignore_ascii_case("now") {
        return Ok(When::Now);
    }
    match text.parse::<i64>() {
        Ok(ms) if ms >= 0 => Ok(When::Ms(ms)),
        _ => Err(format!(
            "{text:?} is neither \"now\" nor milliseconds since the epoch"
        )),
    }
}

#[derive(Debug, Args)]
pub struct ResetOffsetByTime {
    #[arg(short = 'g', long = "group")]
    pub group: String,
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// `now` or a timestamp in milliseconds since the epoch.
    #[arg(short = 's', long = "timestamp", value_parser = parse_when)]
    pub when: When,
}

/// Only for offline groups: a running consumer overwrites the reset with its next commit.
pub async fn reset(
    admin: &Admin<TokioEnv>,
    env: &TokioEnv,
    args: ResetOffsetByTime,
) -> Result<Printed, CliError> {
    let timestamp_ms = match args.when {
        When::Now => env.now_millis() as i64,
        When::Ms(ms) => ms,
    };
    let rows = admin
        .reset_offset_by_time(&args.group, &args.topic, timestamp_ms)
        .await?;
    Ok(Printed {
        text: render::reset(&rows),
        json: render::json(&rows),
    })
}
