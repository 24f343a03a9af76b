//! zoom-scim: a SCIM 2.0 service provider (RFC 7643/7644) that provisions Zoom users,
//! Zoom Phone, groups and roles through the Zoom REST API v2.
//!
//! Layers, outermost first: [`http`] (axum routes, auth) -> [`provider`] (use cases) ->
//! [`mapping`] (pure SCIM <-> Zoom translation) and [`scim`] (pure protocol) ->
//! [`zoom`] (the only code that knows Zoom URLs and JSON); [`store`] keeps what Zoom
//! cannot (external ids, ...). [`simulator`] is an
//! independent Zoom API simulator used by `demo`, the tests and the benchmarks.
//!
//! `docs/architecture.md` walks a request through these layers. Comments cite
//! `docs/zoom-contract.md` as "contract section N" and name `docs/clients.md` and
//! `docs/java-connector.md` with their sections.

pub mod app;
pub mod cli;
pub mod config;
pub mod http;
pub mod java_import;
pub mod mapping;
pub mod provider;
pub mod scim;
pub mod secret;
pub mod setting;
pub mod simulator;
pub mod store;
pub mod telemetry;
pub mod zoom;
