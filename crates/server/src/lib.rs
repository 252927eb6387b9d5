//! The server: the HTTP API ([`api`]), its one typed configuration
//! ([`config`]), planners' tokens ([`auth`]), change notifications
//! delivered from the audit log ([`webhooks`]) and what it counts for
//! Prometheus ([`metrics`]).
//!
//! The only crate that knows HTTP; everything it answers is computed by
//! [`feedmap_domain`] from one [`feedmap_domain::Served`] value.

#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod basemap;
pub mod config;
pub mod metrics;
pub mod voice;
pub mod webhooks;
