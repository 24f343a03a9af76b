//! Shared helpers for the black-box tests.

#![allow(dead_code)]

use tokio::net::TcpListener;
use zoom_scim::simulator::{self, SimCredentials, SimHandle, SimSettings};

/// A listener on a free loopback port.
pub async fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback")
}

/// Starts a simulator with `settings` and the default credentials on a free port.
pub async fn start_simulator(settings: SimSettings) -> SimHandle {
    simulator::spawn(settings, SimCredentials::default(), free_listener().await)
        .await
        .expect("simulator starts")
}
