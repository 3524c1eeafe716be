//! The broker. So far only its side of the name-server conversation: a topic-config table with
//! a data version (in memory; the store will persist it as `topics.json`) and the registrar
//! that keeps every name server informed.

mod registration;
mod topic_config_table;

pub use registration::{
    parse_namesrv_addrs, BrokerIdentity, MasterInfo, NamesrvAnswer, Outcome, RegisterError,
    Registrar, RegistrationConfig,
};
pub use topic_config_table::TopicConfigTable;
