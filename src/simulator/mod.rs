//! A simulator of the Zoom REST API v2: a real HTTP server with in-memory state that
//! behaves like Zoom, unkind parts included.

mod settings;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use settings::{SimCredentials, SimSettings};

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    /// The bound address.
    pub addr: SocketAddr,
    task: JoinHandle<anyhow::Result<()>>,
}

impl SimHandle {
    /// The REST API base URL, ending in `/v2`.
    pub fn api_base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The OAuth token endpoint.
    pub fn token_url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    /// Waits until the server stops.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await?
    }
}

/// Starts the simulator on `listener`.
pub async fn spawn(
    _settings: SimSettings,
    _credentials: SimCredentials,
    listener: TcpListener,
) -> anyhow::Result<SimHandle> {
    let addr = listener.local_addr()?;
    let router = axum::Router::new();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await?;
        Ok(())
    });
    Ok(SimHandle { addr, task })
}
