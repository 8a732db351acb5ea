//! Berth's server: configuration, the read model over the GitOps
//! repositories, the database, and the HTTP surface.

pub mod actions;
pub mod auth;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod error;
pub mod gitops;
pub mod http;
pub mod readmodel;
pub mod release;
pub mod sharing;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
