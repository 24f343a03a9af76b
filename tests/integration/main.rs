//! The single integration-test binary (one binary keeps link time down on 2 cores).
//! Black-box tests start the simulator and the service on port 0 and talk HTTP.

mod broken_upstream;
mod config_docs;
mod config_import;
mod connector_scim2;
mod connector_scimrest;
mod connid_bundle;
mod deep_paging;
mod deferred_changes;
mod delta_import;
mod external_ids;
mod http_hardening;
mod journal;
mod listing_stream;
mod metrics;
mod openapi;
mod paging_cursors;
mod patch_bounds;
mod properties;
mod scale;
mod scim_groups;
mod scim_phone;
mod scim_phone_write;
mod scim_read;
mod scim_read_edges;
mod scim_write;
mod simulator;
mod simulator_conformance;
mod simulator_phone;
mod store;
mod support;
mod user_roster;
mod webhooks;
mod zoom_client;
mod zoom_paths;
