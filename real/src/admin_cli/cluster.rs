//! `clusterList`, `brokerStatus`, `wipeWritePerm`, `addWritePerm`.

use super::{resolve_one, CliError, Printed};
use crate::TokioEnv;
use clap::Args;
use rocketsim::admin::{render, Admin};

pub async fn list(admin: &Admin<TokioEnv>) -> Result<Printed, CliError> {
    let rows = admin.cluster_list().await?;
    Ok(Printed {
        text: render::cluster_list(&rows),
        json: render::json(&rows),
    })
}

#[derive(Debug, Args)]
pub struct BrokerStatus {
    /// The broker, `host:port`.
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker: String,
}

pub async fn status(admin: &Admin<TokioEnv>, args: BrokerStatus) -> Result<Printed, CliError> {
    let addr = resolve_one("broker", &args.broker)?;
    let kv = admin.broker_status(addr).await?;
    Ok(Printed {
        text: render::key_values(&kv),
        json: render::json(&kv),
    })
}

#[derive(Debug, Args)]
pub struct BrokerNameArg {
    /// The broker group's name.
    #[arg(short = 'b', long = "brokerName")]
    pub broker_name: String,
}

pub async fn write_perm(
    admin: &Admin<TokioEnv>,
    args: BrokerNameArg,
    wipe: bool,
) -> Result<Printed, CliError> {
    let rows = admin.write_perm(&args.broker_name, wipe).await?;
    Ok(Printed {
        text: render::perm(&rows),
        json: render::json(&rows),
    })
}
