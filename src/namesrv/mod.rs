//! The name server (§2.4–§2.6): brokers register their topics here, clients ask it for routes.
pub mod table;
