//! Command line: `serve`, `journal`, `simulate` and `demo`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::Serialized;
use tokio::net::TcpListener;

use crate::config::{Config, Mode};
use crate::secret::Secret;
use crate::simulator::AccountPlan;
use crate::simulator::{SimCredentials, SimSettings};
use crate::store::StoreUrl;
use crate::telemetry::LogFormat;
use crate::zoom::Plan;

/// SCIM 2.0 provisioning for Zoom users, Zoom Phone, groups and roles.
#[derive(Debug, Parser)]
#[command(name = "zoom-scim", version, about)]
pub struct Cli {
    /// TOML configuration file (env: ZOOM_SCIM_CONFIG).
    #[arg(long, global = true, env = "ZOOM_SCIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format, overriding `log.format`.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, overriding `log.level` (e.g. `debug`, `zoom_scim=trace,info`).
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the SCIM service against a real Zoom account.
    Serve {
        /// Listen address, overriding `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Show the journal of SCIM writes (reads `store.url` as `serve` does).
    Journal {
        /// Only writes begun at or after this time: RFC 3339 (`2026-12-01T00:00:00Z`)
        /// or an age (`90m`, `24h`, `7d`).
        #[arg(long, value_parser = parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only writes to this SCIM id.
        #[arg(long)]
        resource: Option<String>,
        /// The newest N entries only (0: all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
        /// One JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Configuration tools.
    Config {
        /// What to do.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Run the Zoom API simulator alone.
    Simulate {
        /// Listen address of the simulator.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: SocketAddr,
        /// Credentials the simulator accepts.
        #[command(flatten)]
        credentials: SimCredentials,
        /// Behaviour knobs.
        #[command(flatten)]
        settings: SimSettings,
    },
    /// Run the simulator and the SCIM service wired to it over HTTP, with seeded data.
    Demo {
        /// Listen address of the SCIM service (default 127.0.0.1:8080). `server.listen`
        /// and its variable are not read: the demo serves a well-known token, so it is
        /// reachable from elsewhere only when this flag says so.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Listen address of the simulator (default: any free loopback port).
        #[arg(long, default_value = "127.0.0.1:0")]
        simulator_listen: SocketAddr,
        /// Bearer token SCIM clients use in the demo (added to `auth.tokens`).
        #[arg(long, default_value = "demo-token")]
        scim_token: String,
        /// The store (`sqlite://PATH` or `postgres://...`); default: a temporary SQLite
        /// file removed at exit. `store.url` and its variable are not read: the demo's
        /// data is made up.
        #[arg(long)]
        store_url: Option<String>,
        /// Behaviour knobs of the simulator.
        #[command(flatten)]
        settings: SimSettings,
    },
}

/// `zoom-scim config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the zoom-scim TOML equivalent to the Java Zoom connector's properties
    /// file (its midPoint resource's settings), with a comment where meanings differ.
    Import {
        /// The connector's `.properties` file.
        file: PathBuf,
        /// Write the OAuth client secret into the TOML instead of a
        /// `client_secret_file` reference.
        #[arg(long)]
        inline_secrets: bool,
        /// Where the `client_secret_file` reference points.
        #[arg(long, default_value = "/run/secrets/zoom_client_secret")]
        secret_file: PathBuf,
    },
}

impl Cli {
    /// Flags that override configuration keys, as a figment layer.
    fn overrides(&self) -> Figment {
        let mut figment = Figment::new();
        if let Some(format) = self.log_format {
            figment = figment.merge(Serialized::global("log.format", format));
        }
        if let Some(level) = &self.log_level {
            figment = figment.merge(Serialized::global("log.level", level));
        }
        if let Command::Serve {
            listen: Some(listen),
        } = &self.command
        {
            figment = figment.merge(Serialized::global("server.listen", listen.to_string()));
        }
        figment
    }
}

/// Runs the parsed command line until shutdown.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Reads a file of its own, not the configuration.
    if let Command::Config {
        action:
            ConfigAction::Import {
                file,
                inline_secrets,
                secret_file,
            },
    } = &cli.command
    {
        return import_java_config(file, *inline_secrets, secret_file);
    }
    let mut config = Config::load(cli.config.as_deref(), cli.overrides())?;
    match cli.command {
        Command::Serve { .. } => {
            config.validate(Mode::Serve)?;
            crate::telemetry::init(&config.log)?;
            let listener = bind(
                config.server.listen,
                "`server.listen` (env ZOOM_SCIM_SERVER__LISTEN)",
            )
            .await?;
            let service = crate::app::Service::start(config, listener).await?;
            tracing::info!(scim_base = %service.scim_base_url, "zoom-scim is serving.");
            service.wait().await
        }
        Command::Journal {
            since,
            resource,
            limit,
            json,
        } => {
            config
                .store
                .validate()
                .map_err(|e| crate::config::ConfigError::in_section("store", e))?;
            let store = crate::store::Store::open(&config.store).await?;
            let query = crate::store::journal::JournalQuery {
                since,
                resource_id: resource,
                limit,
            };
            let entries = store.journal_entries(&query).await?;
            let mut out = std::io::stdout().lock();
            crate::store::journal::print(&entries, json, &mut out)?;
            Ok(())
        }
        Command::Config { .. } => Ok(()),
        Command::Simulate {
            listen,
            credentials,
            settings,
        } => {
            crate::telemetry::init(&config.log)?;
            let listener = bind(listen, "--listen").await?;
            let sim = crate::simulator::spawn(settings, credentials.clone(), listener).await?;
            println!("Zoom API simulator listening on http://{}", sim.addr);
            println!("  API base URL:   {}", sim.api_base_url());
            println!("  token URL:      {}", sim.token_url());
            println!("  admin API:      http://{}/_sim/", sim.addr);
            println!("  account id:     {}", credentials.account_id);
            println!("  client id:      {}", credentials.client_id);
            println!("  client secret:  {}", credentials.client_secret);
            sim.wait().await
        }
        Command::Demo {
            listen,
            simulator_listen,
            scim_token,
            store_url,
            mut settings,
        } => {
            config.server.listen = listen.unwrap_or(DEMO_LISTEN);
            crate::telemetry::init(&config.log)?;
            // Kept until the demo ends; its drop removes the file.
            let _store_dir = match store_url {
                Some(url) => {
                    config.store.url = StoreUrl::new(url);
                    None
                }
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("zoom-scim-demo-")
                        .tempdir()?;
                    config.store.url = StoreUrl::new(format!(
                        "sqlite://{}",
                        dir.path().join("zoom-scim.db").display()
                    ));
                    Some(dir)
                }
            };
            // Invitees confirm after a few seconds in the demo, so a newcomer sees the
            // whole lifecycle (pending -> active) unless told otherwise.
            if settings.activate_pending_after_s.is_none() {
                settings.activate_pending_after_s = Some(5);
            }
            let credentials = SimCredentials::default();
            let sim_listener = bind(simulator_listen, "--simulator-listen").await?;
            let sim = crate::simulator::spawn(settings.clone(), credentials.clone(), sim_listener)
                .await?;
            config.zoom.api_base_url = sim.api_base_url();
            config.zoom.token_url = sim.token_url();
            config.zoom.account_id = credentials.account_id.clone();
            config.zoom.client_id = credentials.client_id.clone();
            config.zoom.client_secret = Some(Secret::new(credentials.client_secret.clone()));
            // The service paces itself by the simulator's plan and scale, as it would by
            // a real account's.
            config.zoom.plan = zoom_plan(settings.plan);
            config.zoom.rate_scale = settings.rate_scale;
            config.auth.tokens.push(Secret::new(scim_token.clone()));
            // The simulator sends its webhooks to the service, signed with a secret
            // made for this run, unless told to send them elsewhere.
            let wire_webhooks = settings.webhook_url.is_none();
            if wire_webhooks
                && config
                    .zoom
                    .webhook_secret_token
                    .as_ref()
                    .is_none_or(Secret::is_empty)
            {
                let random: [u8; 16] = rand::random();
                let secret: String = random.iter().map(|b| format!("{b:02x}")).collect();
                config.zoom.webhook_secret_token = Some(Secret::new(secret));
            }
            let webhook_secret = config.zoom.webhook_secret_token.clone();
            let webhook_path = config.zoom.webhook_path.clone();
            config.validate(Mode::Demo)?;
            let store_shown = config.store.url.redacted();
            let listener = bind(config.server.listen, "demo --listen").await?;
            let service = crate::app::Service::start(config, listener).await?;
            let mut webhooks = settings.webhook_url.clone();
            if wire_webhooks && let Some(secret) = webhook_secret {
                let mut target = service.addr;
                if target.ip().is_unspecified() {
                    target.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                let url = format!("http://{target}{webhook_path}");
                sim.configure(|s| {
                    s.webhook_url = Some(url.clone());
                    s.webhook_secret = Some(secret.expose().to_owned());
                })
                .map_err(anyhow::Error::msg)?;
                webhooks = Some(url);
            }
            print_demo_banner(
                webhooks.as_deref(),
                &store_shown,
                &service.scim_base_url,
                &sim.api_base_url(),
                sim.addr,
                &scim_token,
            );
            tokio::select! {
                r = service.wait() => r,
                r = sim.wait() => r,
            }
        }
    }
}

/// `config import`: the TOML on stdout; what was left out on stderr.
fn import_java_config(
    file: &std::path::Path,
    inline_secrets: bool,
    secret_file: &std::path::Path,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let options = crate::java_import::ImportOptions {
        inline_secrets,
        secret_file: secret_file.to_owned(),
    };
    let imported = crate::java_import::import(&text, &options)?;
    print!("{}", imported.toml);
    for key in &imported.unknown {
        eprintln!("not imported (no zoom-scim counterpart): {key}");
    }
    if imported.secret_left_out {
        eprintln!(
            "the client secret is not in the output: put it in {} (or pass --inline-secrets)",
            secret_file.display()
        );
    }
    Ok(())
}

/// `--since`: an RFC 3339 time, or an age before now (`90m`, `24h`, `7d`, `30s`).
fn parse_since(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&chrono::Utc));
    }
    let (number, unit) = value.split_at(value.len().saturating_sub(1));
    let amount: i64 = number
        .parse()
        .map_err(|_| format!("`{value}` is neither an RFC 3339 time nor an age like 24h or 7d"))?;
    let age = match unit {
        "s" => chrono::Duration::try_seconds(amount),
        "m" => chrono::Duration::try_minutes(amount),
        "h" => chrono::Duration::try_hours(amount),
        "d" => chrono::Duration::try_days(amount),
        _ => None,
    }
    .ok_or_else(|| format!("`{value}`: an age takes s, m, h or d"))?;
    Ok(chrono::Utc::now() - age)
}

/// Where `demo` listens unless `--listen` says otherwise: loopback, whatever
/// `server.listen` holds (the container image sets it to `0.0.0.0:8080` for `serve`).
pub const DEMO_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// Binds a listen address; a failure names the address and the setting that chose it.
async fn bind(addr: SocketAddr, setting: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (set by {setting}): {e}"))
}

fn print_demo_banner(
    webhooks: Option<&str>,
    store: &str,
    scim: &str,
    zoom: &str,
    sim_addr: SocketAddr,
    token: &str,
) {
    println!("zoom-scim demo: the SCIM service is wired to the built-in Zoom simulator.");
    println!("  SCIM base URL:       {scim}");
    println!("  bearer token:        {token}");
    println!("  simulated Zoom API:  {zoom}");
    println!("  simulator admin API: http://{sim_addr}/_sim/  (state, stats, config, reset)");
    println!("  store:               {store}");
    if let Some(url) = webhooks {
        println!("  Zoom webhooks:       the simulator posts its events to {url}");
    }
    println!();
    println!("Try:");
    println!("  curl -s -H 'Authorization: Bearer {token}' '{scim}/Users?count=2'");
    println!(
        "  curl -s -H 'Authorization: Bearer {token}' '{scim}/Users?filter=active%20eq%20false&attributes=userName,active'"
    );
    println!(
        "  curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \\\n       -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"new.hire@example.com\",\"name\":{{\"givenName\":\"New\",\"familyName\":\"Hire\"}}}}' '{scim}/Users'"
    );
}

/// The client's plan for the simulator's: the service paces itself by the plan of the
/// account it talks to.
fn zoom_plan(plan: AccountPlan) -> Plan {
    match plan {
        AccountPlan::Free => Plan::Free,
        AccountPlan::Pro => Plan::Pro,
        AccountPlan::Business => Plan::Business,
    }
}
