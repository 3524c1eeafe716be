//! `updateTopic`, `deleteTopic`, `topicList`, `topicRoute`, `topicStatus`.

use super::{resolve_one, CliError, Printed};
use crate::TokioEnv;
use clap::{ArgGroup, Args};
use rocketsim::admin::{render, Admin, Target, TopicSpec};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["cluster", "broker"])))]
pub struct UpdateTopic {
    /// Create on every master of this cluster.
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
    /// Create on this broker (`host:port`).
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker: Option<String>,
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
    pub read_queue_nums: i32,
    #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
    pub write_queue_nums: i32,
    /// Permission: 2 write, 4 read, 6 both.
    #[arg(short = 'p', long = "perm", default_value_t = 6)]
    pub perm: i32,
    /// Ordered topic (`true`/`false`).
    #[arg(short = 'o', long = "order", default_value_t = false, action = clap::ArgAction::Set)]
    pub order: bool,
}

/// `-c cluster` or `-b host:port`.
pub fn target(cluster: Option<String>, broker: Option<String>) -> Result<Target, CliError> {
    match (cluster, broker) {
        (_, Some(broker)) => Ok(Target::Broker(resolve_one("broker", &broker)?)),
        (Some(cluster), None) => Ok(Target::Cluster(cluster)),
        (None, None) => unreachable!("clap requires -c or -b"),
    }
}

pub async fn update(admin: &Admin<TokioEnv>, args: UpdateTopic) -> Result<Printed, CliError> {
    let target = target(args.cluster, args.broker)?;
    let spec = TopicSpec {
        topic: args.topic,
        read_queue_nums: args.read_queue_nums,
        write_queue_nums: args.write_queue_nums,
        perm: args.perm,
        order: args.order,
    };
    let done = admin.create_topic(&target, &spec).await?;
    Ok(Printed {
        text: render::done(&done),
        json: render::json(&done),
    })
}

#[derive(Debug, Args)]
pub struct DeleteTopic {
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: String,
    #[arg(short = 't', long = "topic")]
    pub topic: String,
}

pub async fn delete(admin: &Admin<TokioEnv>, args: DeleteTopic) -> Result<Printed, CliError> {
    let done = admin.delete_topic(&args.cluster, &args.topic).await?;
    Ok(Printed {
        text: render::done(&done),
        json: render::json(&done),
    })
}

pub async fn list(admin: &Admin<TokioEnv>) -> Result<Printed, CliError> {
    let topics = admin.topic_list().await?;
    Ok(Printed {
        text: render::topic_list(&topics),
        json: render::json(&topics),
    })
}

#[derive(Debug, Args)]
pub struct TopicArg {
    #[arg(short = 't', long = "topic")]
    pub topic: String,
}

pub async fn route(admin: &Admin<TokioEnv>, args: TopicArg) -> Result<Printed, CliError> {
    let route = admin.topic_route(&args.topic).await?;
    let text = render::topic_route(&route);
    Ok(Printed {
        json: text.clone(),
        text,
    })
}

pub async fn status(admin: &Admin<TokioEnv>, args: TopicArg) -> Result<Printed, CliError> {
    let rows = admin.topic_status(&args.topic).await?;
    Ok(Printed {
        text: render::topic_status(&rows),
        json: render::json(&rows),
    })
}
