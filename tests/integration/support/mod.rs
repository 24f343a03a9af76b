//! Shared helpers for the black-box tests.

#![allow(dead_code)]

pub mod postgres;

use tokio::net::TcpListener;
use zoom_scim::simulator::{self, SimCredentials, SimHandle, SimSettings};

/// Simulator settings for service tests: `users` seeded, Zoom's rate limits off (the
/// tests that need them turn them on).
pub fn sim_settings(users: usize) -> SimSettings {
    SimSettings {
        users,
        rate_scale: 0.0,
        ..SimSettings::default()
    }
}

/// Percent-encodes `s` for a URL query value.
pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

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

/// An access token for `sim`'s Zoom API (the `account_credentials` grant with the
/// default credentials).
pub async fn zoom_token(http: &reqwest::Client, sim: &SimHandle) -> String {
    let creds = SimCredentials::default();
    let body: serde_json::Value = http
        .post(sim.token_url())
        .basic_auth(&creds.client_id, Some(&creds.client_secret))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", creds.account_id.as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// A simulator and a SCIM service wired to it over HTTP, both on free ports.
pub struct Stack {
    /// The simulator (kept alive for the test).
    pub sim: SimHandle,
    /// The SCIM service.
    pub service: zoom_scim::app::Service,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The directory of the service's SQLite store, when the test left `store.url` at
    /// its default (removed with the stack).
    pub store_dir: Option<tempfile::TempDir>,
}

/// The bearer token of [`start_stack`].
pub const SCIM_TOKEN: &str = "test-scim-token";

/// Starts the simulator with `settings` and the service with `config` adjusted to it.
pub async fn start_stack(settings: SimSettings, mut config: zoom_scim::config::Config) -> Stack {
    let sim = start_simulator(settings).await;
    let store_dir = (config.store.url.expose() == zoom_scim::store::DEFAULT_URL).then(|| {
        let dir = tempfile::tempdir().expect("store directory");
        config.store.url = sqlite_url(&dir);
        dir
    });
    let service = start_service(&sim, config).await;
    Stack {
        sim,
        service,
        http: reqwest::Client::new(),
        store_dir,
    }
}

/// Starts a service wired to `sim` with `config` (its store as given), on a free port.
pub async fn start_service(
    sim: &SimHandle,
    mut config: zoom_scim::config::Config,
) -> zoom_scim::app::Service {
    wire_to(sim, &mut config);
    // The change walk lists every user and group: off unless the test asks for it (its
    // calls would count in the tests that count Zoom calls).
    if config.store.watch_interval_s == zoom_scim::store::StoreConfig::default().watch_interval_s {
        config.store.watch_interval_s = 0;
    }
    // A test naming its client (`name:token`) keeps its tokens; SCIM_TOKEN must be one.
    if config.auth.tokens.is_empty() {
        config.auth.tokens = vec![zoom_scim::secret::Secret::new(SCIM_TOKEN)];
    }
    zoom_scim::app::Service::start(config, free_listener().await)
        .await
        .expect("service starts")
}

/// Points `config`'s Zoom client at `sim` with the simulator's credentials.
pub fn wire_to(sim: &SimHandle, config: &mut zoom_scim::config::Config) {
    let credentials = SimCredentials::default();
    config.zoom.api_base_url = sim.api_base_url();
    config.zoom.token_url = sim.token_url();
    config.zoom.account_id = credentials.account_id;
    config.zoom.client_id = credentials.client_id;
    config.zoom.client_secret = Some(zoom_scim::secret::Secret::new(credentials.client_secret));
}

/// A provider (the use cases, without HTTP) over `sim` and `store`, with `config`'s
/// `[scim]` settings: for tests that call what the service runs in the background.
pub fn provider_for(
    sim: &SimHandle,
    mut config: zoom_scim::config::Config,
    store: zoom_scim::store::Store,
) -> zoom_scim::provider::Provider {
    wire_to(sim, &mut config);
    let zoom = zoom_scim::zoom::ZoomClient::new(&config.zoom).expect("Zoom client");
    zoom_scim::provider::Provider::new(
        zoom,
        std::sync::Arc::new(config.scim),
        "http://scim.test/scim/v2".into(),
        store,
    )
}

/// The address of a SQLite store file inside `dir`.
pub fn sqlite_url(dir: &tempfile::TempDir) -> zoom_scim::store::StoreUrl {
    zoom_scim::store::StoreUrl::new(format!(
        "sqlite://{}",
        dir.path().join("zoom-scim.db").display()
    ))
}

/// One answer of the SCIM service.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// JSON body; `Null` when empty, a string when not JSON.
    pub body: serde_json::Value,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Warning` header.
    pub fn warnings(&self) -> Vec<String> {
        self.headers
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The SCIM error's `detail`.
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
}

impl Stack {
    /// A SCIM request with the bearer token, `body` sent as `application/scim+json`.
    pub async fn scim(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.service.scim_base_url))
            .bearer_auth(SCIM_TOKEN);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Zoom calls made to `endpoint` (`"METHOD /template"`) since the simulator's
    /// statistics were last reset.
    pub async fn zoom_calls(&self, endpoint: &str) -> u64 {
        self.sim_admin("stats").await["requests"][endpoint]
            .as_u64()
            .unwrap_or(0)
    }

    /// `GET {scim base}{path}` with the bearer token; returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.service.scim_base_url))
            .bearer_auth(SCIM_TOKEN)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// An access token for the simulator's Zoom API, for changes made "in Zoom
    /// directly", past the service.
    pub async fn zoom_token(&self) -> String {
        zoom_token(&self.http, &self.sim).await
    }

    /// Zeroes the simulator's call statistics (`DELETE /_sim/stats`).
    pub async fn reset_sim_stats(&self) {
        let response = self
            .http
            .delete(self.sim_admin_url("stats"))
            .send()
            .await
            .expect("reset stats");
        assert!(response.status().is_success(), "stats reset");
    }

    /// Scripts a simulator fault (`POST /_sim/faults`).
    pub async fn add_fault(&self, fault: serde_json::Value) {
        let response = self
            .http
            .post(self.sim_admin_url("faults"))
            .json(&fault)
            .send()
            .await
            .expect("fault");
        assert!(response.status().is_success(), "fault accepted");
    }

    /// Drops the simulator's pending scripted faults (`DELETE /_sim/faults`).
    pub async fn clear_faults(&self) {
        let response = self
            .http
            .delete(self.sim_admin_url("faults"))
            .send()
            .await
            .expect("clear faults");
        assert!(response.status().is_success(), "faults cleared");
    }

    /// A seeded active user with the Member role (not the owner, not an admin: Zoom
    /// changes their status and groups without refusing), as `/_sim/state` shows it.
    pub async fn active_member(&self) -> serde_json::Value {
        let state = self.sim_admin("state").await;
        state["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["status"] == "active" && u["role_id"] == "2")
            .expect("an active member")
            .clone()
    }

    fn sim_admin_url(&self, path: &str) -> String {
        format!("{}/{path}", self.sim.admin_url().trim_end_matches('/'))
    }

    /// The simulator's record of user `id` (from `GET /_sim/state`).
    pub async fn sim_user(&self, id: &str) -> Option<serde_json::Value> {
        let state = self.sim_admin("state").await;
        state["users"]
            .as_array()?
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
    }

    /// The simulator's users of `status` with the Member role, the owner left out.
    pub async fn sim_members(&self, status: &str) -> Vec<serde_json::Value> {
        let state = self.sim_admin("state").await;
        let owner = state["account"]["owner_id"].clone();
        state["users"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|u| u["status"] == status && u["id"] != owner && u["role_id"] == "2")
            .cloned()
            .collect()
    }

    /// `GET /_sim/{path}` on the simulator's admin API.
    pub async fn sim_admin(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.sim_admin_url(path))
            .send()
            .await
            .expect("admin request")
            .json()
            .await
            .expect("admin JSON")
    }
}

/// The ids a delta import (`meta.lastModified gt since`) of `resource` returns, sorted.
pub async fn changed_since(stack: &Stack, resource: &str, since: &str) -> Vec<String> {
    let filter = urlencode(&format!("meta.lastModified gt \"{since}\""));
    let r = stack
        .scim(
            reqwest::Method::GET,
            &format!("/{resource}?filter={filter}&count=1000"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut ids: Vec<String> = r.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// A time as a filter value (RFC 3339, milliseconds).
pub fn stamp(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
