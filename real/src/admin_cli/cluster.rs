//! `clusterList`, `brokerStatus`, `wipeWritePerm`, `addWritePerm`, `electMaster`.

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

#[derive(Debug, Args)]
pub struct ElectMaster {
    /// The controller, `host:port`.
    #[arg(short = 'a', long = "controllerAddress")]
    pub controller: String,
    /// The cluster's name.
    #[arg(short = 'c', long = "clusterName", default_value = "DefaultCluster")]
    pub cluster: String,
    /// The broker group's name.
    #[arg(short = 'b', long = "brokerName")]
    pub broker_name: String,
    /// The replica to make master (its controller id).
    #[arg(short = 'i', long = "brokerId")]
    pub broker_id: i64,
}

pub async fn elect_master(admin: &Admin<TokioEnv>, args: ElectMaster) -> Result<Printed, CliError> {
    let controller = resolve_one("controller", &args.controller)?;
    let kv = admin
        .elect_master(controller, &args.cluster, &args.broker_name, args.broker_id)
        .await?;
    Ok(Printed {
        text: render::key_values(&kv),
        json: render::json(&kv),
    })
}
