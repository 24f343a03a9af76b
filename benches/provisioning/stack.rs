//! The test bed: the Zoom simulator in-process, the SCIM service as a child process (the
//! built `zoom-scim` binary, so its peak RSS and CPU time are its own), the simulator's
//! admin API and `/proc` readings of the child.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use zoom_scim::simulator::{self, SimCredentials, SimHandle, SimSettings};

/// Bearer token the benchmark's SCIM clients present to the service.
pub const SCIM_TOKEN: &str = "bench-scim-token";

/// The simulator, running in this process.
pub struct Sim {
    handle: SimHandle,
    /// Client for the admin API (and the direct calls of scenarios 2 and 4).
    pub http: reqwest::Client,
}

/// Counters of `GET /_sim/stats`.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    /// Requests by `"METHOD /template"`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// 429s answered for the per-second limit.
    pub throttled_qps: u64,
    /// 429s answered for the daily quota.
    pub throttled_daily: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Faults injected (scripted or random).
    pub faults_injected: u64,
    /// All API requests.
    pub total: u64,
}

impl CallStats {
    /// Requests to one endpoint (`"GET /users/{userId}"`).
    pub fn calls(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    /// All 429s.
    pub fn throttled(&self) -> u64 {
        self.throttled_qps + self.throttled_daily
    }

    /// Requests to endpoints whose template starts with `prefix` (after the method).
    pub fn calls_under(&self, prefix: &str) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(k, _)| {
                k.split_once(' ')
                    .is_some_and(|(_, t)| t.starts_with(prefix))
            })
            .map(|(_, n)| n)
            .sum()
    }

    fn from_json(v: &Value) -> Self {
        let by_endpoint = v["requests"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            by_endpoint,
            throttled_qps: v["throttled"]["QPS"].as_u64().unwrap_or(0),
            throttled_daily: v["throttled"]["Daily-limit"].as_u64().unwrap_or(0),
            tokens_issued: v["tokens_issued"].as_u64().unwrap_or(0),
            faults_injected: v["faults_injected"].as_u64().unwrap_or(0),
            total: v["total"].as_u64().unwrap_or(0),
        }
    }

    /// The counters as JSON (endpoint map plus 429s).
    pub fn json(&self) -> Value {
        json!({
            "total": self.total,
            "by_endpoint": self.by_endpoint,
            "throttled_429": {"QPS": self.throttled_qps, "Daily-limit": self.throttled_daily},
            "tokens_issued": self.tokens_issued,
            "faults_injected": self.faults_injected,
        })
    }
}

/// The member ids of one group of `GET /_sim/state`.
pub fn member_ids(group: &Value) -> impl Iterator<Item = &str> {
    group["member_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// What the seeded account holds, read from `GET /_sim/state` and `GET /_sim/config`.
#[derive(Debug, Clone, Default)]
pub struct Census {
    /// Users by status.
    pub active: u64,
    /// Inactive users.
    pub inactive: u64,
    /// Pending invitees.
    pub pending: u64,
    /// Users with `feature.zoom_phone`.
    pub phone_users: u64,
    /// Groups of the account.
    pub groups: u64,
    /// Largest `page_size` the simulator honours on `GET /users`.
    pub max_page_size: u64,
}

impl Census {
    /// All users.
    pub fn users(&self) -> u64 {
        self.active + self.inactive + self.pending
    }

    /// Share of users with Zoom Phone.
    pub fn phone_share(&self) -> f64 {
        if self.users() == 0 {
            0.0
        } else {
            self.phone_users as f64 / self.users() as f64
        }
    }
}

impl Sim {
    /// Starts a simulator with `settings` on a free loopback port.
    pub async fn start(settings: SimSettings) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let handle = simulator::spawn(settings, SimCredentials::default(), listener).await?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(Self { handle, http })
    }

    /// The REST API base, ending in `/v2`.
    pub fn api_base(&self) -> String {
        self.handle.api_base_url()
    }

    /// The OAuth token endpoint.
    pub fn token_url(&self) -> String {
        self.handle.token_url()
    }

    fn admin(&self, path: &str) -> String {
        format!("{}/{path}", self.handle.admin_url())
    }

    async fn admin_json(&self, path: &str) -> Result<Value> {
        let response = self.http.get(self.admin(path)).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("GET /_sim/{path} answered {status}");
        }
        Ok(response.json().await?)
    }

    /// The whole simulated account.
    pub async fn state(&self) -> Result<Value> {
        self.admin_json("state").await
    }

    /// The call counters.
    pub async fn stats(&self) -> Result<CallStats> {
        Ok(CallStats::from_json(&self.admin_json("stats").await?))
    }

    /// Zeroes the call counters.
    pub async fn reset_stats(&self) -> Result<()> {
        let response = self.http.delete(self.admin("stats")).send().await?;
        if !response.status().is_success() {
            bail!("DELETE /_sim/stats answered {}", response.status());
        }
        Ok(())
    }

    /// The current settings.
    pub async fn config(&self) -> Result<Value> {
        self.admin_json("config").await
    }

    /// Merges `patch` into the settings; `Err` carries the simulator's refusal.
    pub async fn put_config(&self, patch: &Value) -> Result<()> {
        let response = self
            .http
            .put(self.admin("config"))
            .json(patch)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            bail!("PUT /_sim/config answered {status}: {body}");
        }
        Ok(())
    }

    /// An out-of-band change (`PATCH /_sim/users/{id}`: an admin in Zoom's portal).
    pub async fn admin_edit(&self, id: &str, body: &Value) -> Result<()> {
        let response = self
            .http
            .patch(self.admin(&format!("users/{id}")))
            .json(body)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            bail!("PATCH /_sim/users/{id} answered {status}: {body}");
        }
        Ok(())
    }

    /// The webhook deliveries so far.
    pub async fn webhooks(&self) -> Result<Vec<Value>> {
        Ok(self.admin_json("webhooks").await?["deliveries"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Forgets the webhook deliveries.
    pub async fn clear_webhooks(&self) -> Result<()> {
        let response = self.http.delete(self.admin("webhooks")).send().await?;
        if !response.status().is_success() {
            bail!("DELETE /_sim/webhooks answered {}", response.status());
        }
        Ok(())
    }

    /// Re-seeds from the current settings.
    pub async fn reset(&self) -> Result<()> {
        let response = self.http.post(self.admin("reset")).send().await?;
        if !response.status().is_success() {
            bail!("POST /_sim/reset answered {}", response.status());
        }
        Ok(())
    }

    /// Counts of the seeded account.
    pub async fn census(&self) -> Result<Census> {
        let state = self.state().await?;
        let config = self.config().await?;
        Ok(census_of(&state, &config))
    }

    /// An access token from the simulator's `account_credentials` grant.
    pub async fn access_token(&self, http: &reqwest::Client) -> Result<String> {
        let credentials = SimCredentials::default();
        let response = http
            .post(self.token_url())
            .basic_auth(&credentials.client_id, Some(&credentials.client_secret))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", credentials.account_id.as_str()),
            ])
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("token endpoint answered {status} without access_token"))
    }
}

/// Counts users by status and phone, and groups, in a `/_sim/state` document.
pub fn census_of(state: &Value, config: &Value) -> Census {
    let mut census = Census {
        max_page_size: config["max_page_size"].as_u64().unwrap_or(300),
        groups: state["groups"].as_array().map_or(0, |g| g.len() as u64),
        ..Census::default()
    };
    for user in state["users"].as_array().into_iter().flatten() {
        match user["status"].as_str() {
            Some("active") => census.active += 1,
            Some("inactive") => census.inactive += 1,
            Some("pending") => census.pending += 1,
            _ => {}
        }
        if user["zoom_phone"].as_bool() == Some(true) {
            census.phone_users += 1;
        }
    }
    census
}

/// Readings of the service process from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcUsage {
    /// Peak resident set size (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// Current resident set size (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// User plus system CPU time, seconds.
    pub cpu_s: f64,
}

impl ProcUsage {
    /// Peak RSS in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// Restricts this process (and the threads it starts afterwards) to `cpus`.
pub fn pin_self(cpus: &str) -> Result<()> {
    let status = std::process::Command::new("taskset")
        .args(["-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("run taskset")?;
    if !status.success() {
        bail!("taskset -p -c {cpus} failed: {status}");
    }
    Ok(())
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Reads `VmHWM`, `VmRSS` and utime + stime of `pid`.
pub fn proc_usage(pid: u32) -> Result<ProcUsage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("read /proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15
    // of the whole line (proc(5)), i.e. the 12th and 13th after the name.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| -> f64 { fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0.0) };
    Ok(ProcUsage {
        peak_rss_kib: field("VmHWM:"),
        rss_kib: field("VmRSS:"),
        cpu_s: (ticks(11) + ticks(12)) / clock_ticks(),
    })
}

/// How the service child is configured beyond pointing it at the simulator.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// `zoom.rate_scale`: the multiple of the plan's limits the service paces at.
    pub rate_scale: f64,
    /// Further `ZOOM_SCIM_*` variables.
    pub env: Vec<(String, String)>,
    /// Runs the service on this CPU alone (`taskset`), away from the load generator.
    pub cpu: Option<usize>,
}

/// The SCIM service, running as a child process.
pub struct Service {
    child: Child,
    pid: u32,
    /// SCIM base URL, e.g. `http://127.0.0.1:41234/scim/v2`.
    pub scim_url: String,
    /// Where the child's output goes.
    pub log: PathBuf,
}

impl Service {
    /// Starts `zoom-scim serve` against `sim`, waits until `/healthz` answers.
    pub async fn start(sim: &Sim, options: &ServiceOptions, log: &Path) -> Result<Self> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let listen = format!("127.0.0.1:{port}");
        let credentials = SimCredentials::default();
        let log_file = std::fs::File::create(log).with_context(|| format!("create {log:?}"))?;
        // A fresh store per run, beside the log.
        let store = log.with_extension("db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
        }
        let binary = env!("CARGO_BIN_EXE_zoom-scim");
        let mut command = match options.cpu {
            // taskset execs the binary: the child's pid stays the service's.
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ZOOM_SCIM_SERVER__LISTEN", &listen)
            .env("ZOOM_SCIM_ZOOM__API_BASE_URL", sim.api_base())
            .env("ZOOM_SCIM_ZOOM__TOKEN_URL", sim.token_url())
            .env("ZOOM_SCIM_ZOOM__ACCOUNT_ID", &credentials.account_id)
            .env("ZOOM_SCIM_ZOOM__CLIENT_ID", &credentials.client_id)
            .env("ZOOM_SCIM_ZOOM__CLIENT_SECRET", &credentials.client_secret)
            .env("ZOOM_SCIM_ZOOM__PLAN", "business")
            .env("ZOOM_SCIM_ZOOM__RATE_SCALE", options.rate_scale.to_string())
            .env("ZOOM_SCIM_AUTH__TOKENS", SCIM_TOKEN)
            .env("ZOOM_SCIM_LOG__LEVEL", "warn")
            .env(
                "ZOOM_SCIM_STORE__URL",
                format!("sqlite://{}", store.display()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file.try_clone()?))
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let child = command.spawn().context("start the zoom-scim binary")?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("the service exited at once"))?;
        let mut service = Self {
            child,
            pid,
            scim_url: format!("http://{listen}/scim/v2"),
            log: log.to_owned(),
        };
        service.wait_healthy(&listen).await?;
        Ok(service)
    }

    async fn wait_healthy(&mut self, listen: &str) -> Result<()> {
        let http = reqwest::Client::new();
        let url = format!("http://{listen}/healthz");
        for _ in 0..500 {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the service exited with {status} before serving; see {:?}",
                    self.log
                );
            }
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "the service did not answer /healthz within 10 s; see {:?}",
            self.log
        )
    }

    /// The child's process id (for `/proc/<pid>/...`).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Current `/proc` readings.
    pub fn usage(&self) -> Result<ProcUsage> {
        proc_usage(self.pid)
    }

    /// Reads the final `/proc` figures and stops the child.
    pub async fn stop(mut self) -> Result<ProcUsage> {
        let usage = self.usage();
        self.child.kill().await?;
        usage
    }
}
