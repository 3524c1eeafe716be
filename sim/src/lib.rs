//! Deterministic simulation of a rocketsim cluster.
