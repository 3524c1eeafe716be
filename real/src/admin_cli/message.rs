//! `queryMsgById`, `queryMsgByKey`, `queryMsgByOffset`, `sendMessage`, `consumeMessage`.

use super::{CliError, Printed};
use crate::TokioEnv;
use clap::Args;
use rocketsim::admin::{render, Admin, ConsumeSpec, SendSpec};

#[derive(Debug, Args)]
pub struct QueryMsgById {
    /// The offset message id (32 or 56 hex chars).
    #[arg(short = 'i', long = "msgId")]
    pub id: String,
}

pub async fn by_id(admin: &Admin<TokioEnv>, args: QueryMsgById) -> Result<Printed, CliError> {
    let view = admin.query_msg_by_id(args.id.trim()).await?;
    Ok(Printed {
        text: render::message(&view),
        json: render::json(&view),
    })
}

#[derive(Debug, Args)]
pub struct QueryMsgByKey {
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    #[arg(short = 'k', long = "msgKey")]
    pub key: String,
}

pub async fn by_key(admin: &Admin<TokioEnv>, args: QueryMsgByKey) -> Result<Printed, CliError> {
    let views = admin.query_msg_by_key(&args.topic, &args.key).await?;
    Ok(Printed {
        text: render::messages(&views),
        json: render::json(&views),
    })
}

#[derive(Debug, Args)]
pub struct QueryMsgByOffset {
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// The broker group's name.
    #[arg(short = 'b', long = "brokerName")]
    pub broker_name: String,
    #[arg(short = 'i', long = "queueId")]
    pub queue_id: i32,
    #[arg(short = 'o', long = "offset")]
    pub offset: i64,
}

pub async fn by_offset(
    admin: &Admin<TokioEnv>,
    args: QueryMsgByOffset,
) -> Result<Printed, CliError> {
    let view = admin
        .query_msg_by_offset(&args.topic, &args.broker_name, args.queue_id, args.offset)
        .await?;
    Ok(Printed {
        text: render::message(&view),
        json: render::json(&view),
    })
}

#[derive(Debug, Args)]
pub struct SendMessage {
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// The body, as text.
    #[arg(short = 'p', long = "body")]
    pub body: String,
    /// Keys, separated by spaces.
    #[arg(short = 'k', long = "keys")]
    pub keys: Option<String>,
    #[arg(short = 'c', long = "tags")]
    pub tags: Option<String>,
    /// Send to this broker's queue `-i` (both or neither).
    #[arg(short = 'b', long = "broker", requires = "queue_id")]
    pub broker_name: Option<String>,
    #[arg(short = 'i', long = "qid", requires = "broker_name")]
    pub queue_id: Option<i32>,
}

pub async fn send(admin: &Admin<TokioEnv>, args: SendMessage) -> Result<Printed, CliError> {
    let spec = SendSpec {
        topic: args.topic,
        body: args.body,
        keys: args.keys,
        tags: args.tags,
        queue: args.broker_name.zip(args.queue_id),
    };
    let view = admin.send_message(&spec).await?;
    Ok(Printed {
        text: render::send(&view),
        json: render::json(&view),
    })
}

#[derive(Debug, Args)]
pub struct ConsumeMessage {
    #[arg(short = 't', long = "topic")]
    pub topic: String,
    /// Only this broker group's queues.
    #[arg(short = 'b', long = "brokerName")]
    pub broker_name: Option<String>,
    /// Only this queue.
    #[arg(short = 'i', long = "queueId")]
    pub queue_id: Option<i32>,
    /// Start at this offset in each queue (default: the queue's first).
    #[arg(short = 'o', long = "offset")]
    pub offset: Option<i64>,
    /// Messages at most.
    #[arg(short = 'c', long = "messageCount", default_value_t = 128)]
    pub count: usize,
}

pub async fn consume(admin: &Admin<TokioEnv>, args: ConsumeMessage) -> Result<Printed, CliError> {
    let spec = ConsumeSpec {
        topic: args.topic,
        broker_name: args.broker_name,
        queue_id: args.queue_id,
        offset: args.offset,
        count: args.count,
    };
    let views = admin.consume_messages(&spec).await?;
    Ok(Printed {
        text: render::messages(&views),
        json: render::json(&views),
    })
}
