//! The provisioning benchmark (benches/BENCHMARKS.md): the SCIM service (the `zoom-scim` binary,
//! a child process) against the Zoom simulator over loopback HTTP, Business plan limits.
//!
//! Scenarios: 1 full deep import at the rate-limit floor; 2 the Java connector's
//! sequential import as a baseline; 3 a provisioning burst by 8 concurrent clients with
//! the final state checked; 4 per-request overhead; 5 the service's peak memory; 6 one
//! large group change; 7 scenario 3's burst the Java connector's way, as a baseline; 8
//! a delta import of 100 changed users, and the store at 100,000 users; 9 one listing of
//! 100,000 users without `count`, streamed.
//! Prints a table and writes JSON (default `bench-results/provisioning.json`).
//!
//! ```sh
//! cargo bench --bench provisioning -- --users 10000 --scenarios 1,2,3,4,5
//! cargo bench --bench provisioning -- --soak --minutes 20
//! ```
//!
//! `--soak` runs scenario 3's burst under faults repeatedly instead, sampling the
//! service's RSS and open descriptors (`soak.rs`).
//!
//! A harness, not a test: it asserts nothing, it measures and reports against the
//! issue's targets. See `benches/BENCHMARKS.md` for the latest figures.

mod baseline;
mod burst;
mod burst_baseline;
mod delta;
mod floor;
mod group_push;
mod import;
mod overhead;
mod report;
mod soak;
mod stack;
mod stream;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::{Value, json};
use zoom_scim::simulator::{AccountPlan, SimSettings};
use zoom_scim::zoom::Plan;

use floor::Budget;
use import::ImportRun;
use report::{Outcome, Section, round, seconds};
use stack::{Census, ProcUsage, Service, ServiceOptions, Sim};

/// `zoom.budget_share` the service runs with (its default).
const BUDGET_SHARE: f64 = 0.8;

/// Benchmark flags (after `cargo bench --bench provisioning --`).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "provisioning",
    about = "zoom-scim provisioning benchmark (issue #8)"
)]
struct Args {
    /// Users seeded in the simulator (N).
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Share of users with Zoom Phone, if the simulator has that knob (else its seed's).
    #[arg(long)]
    phone_share: Option<f64>,
    /// Simulator base latency per call, milliseconds.
    #[arg(long, default_value_t = 60)]
    latency_ms: u64,
    /// Simulator uniform extra latency, 0..=jitter milliseconds.
    #[arg(long, default_value_t = 20)]
    jitter_ms: u64,
    /// Multiplies Zoom's rate limits, in the simulator and in the service's pacing.
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// Scenarios to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5,6,7,8,9")]
    scenarios: Vec<u8>,
    /// Users the sequential baseline (scenario 2) fetches before extrapolating to N.
    #[arg(long, default_value_t = 1_000)]
    baseline_users: u64,
    /// Scenario 5 also imports 5N users with a fresh simulator and service.
    #[arg(long)]
    memory_5n: bool,
    /// Requests per measured phase of scenario 4.
    #[arg(long, default_value_t = 20_000)]
    overhead_requests: usize,
    /// Users of scenario 8's store-at-scale run (0: skip it).
    #[arg(long, default_value_t = 100_000)]
    store_users: usize,
    /// Users of scenario 9's streamed listing.
    #[arg(long, default_value_t = 100_000)]
    stream_users: usize,
    /// Seed of the simulator's data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the JSON results go.
    #[arg(long, default_value = "bench-results/provisioning.json")]
    json: PathBuf,
    /// Pin the service alone to the last CPU and the load generator and simulator to the
    /// others (needs 2 CPUs or more and `taskset`). Off by default: on a small virtual
    /// machine, waking an idle pinned CPU adds milliseconds to lightly loaded requests.
    #[arg(long)]
    pin: bool,
    /// Before scenario 3, apply its operations straight to the simulator and check
    /// that the final-state check finds them exact (a test of the harness itself).
    #[arg(long)]
    burst_self_check: bool,
    /// The service's log filter (`log.level`), e.g. `zoom_scim=debug`; its log goes to
    /// `service-*.log` next to the JSON file.
    #[arg(long, default_value = "warn")]
    service_log_level: String,
    /// Extra environment for the service, `KEY=VALUE` (repeatable), e.g.
    /// `ZOOM_SCIM_ZOOM__MAX_CONCURRENCY=16` to try a setting.
    #[arg(long = "service-env", value_parser = parse_key_value)]
    service_env: Vec<(String, String)>,
    /// Scenario 3 under faults: fraction of Zoom calls answered with a 5xx.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Scenario 3 under faults: fraction of Zoom calls whose connection drops unanswered.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Scenario 3 under faults: fraction of Zoom calls that take effect and then lose
    /// their answer (the connection drops).
    #[arg(long, default_value_t = 0.0)]
    lost_answer_rate: f64,
    /// Scenario 3 under faults: fraction of Zoom calls answered with a per-second 429.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Soak instead of the scenarios: scenario 3's burst, under faults (the flags above,
    /// or 3% 5xx, 2% dropped, 2% lost answers and 2% 429s when none is given), again and
    /// again against one service for `--minutes`, its RSS and open descriptors sampled.
    #[arg(long)]
    soak: bool,
    /// How long the soak keeps starting bursts, minutes.
    #[arg(long, default_value_t = 20.0)]
    minutes: f64,
    /// The soak's sampling period, seconds.
    #[arg(long, default_value_t = 5)]
    sample_s: u64,
    /// Bursts of the soak whose figures do not count for flatness.
    #[arg(long, default_value_t = 1)]
    warmup_bursts: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// `KEY=VALUE` of `--service-env`.
fn parse_key_value(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
}

impl Args {
    /// The CPU the service gets to itself, if pinning.
    fn service_cpu(&self) -> Option<usize> {
        let cpus = machine_cpus();
        (self.pin && cpus >= 2).then_some(cpus - 1)
    }

    fn wants(&self, scenario: u8) -> bool {
        self.scenarios.contains(&scenario)
    }

    fn budget(&self) -> Budget {
        Budget {
            plan: Plan::Business,
            share: BUDGET_SHARE,
            scale: self.rate_scale,
        }
    }

    fn sim_settings(&self, users: usize) -> SimSettings {
        SimSettings {
            users,
            seed: self.seed,
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            rate_scale: self.rate_scale,
            plan: AccountPlan::Business,
            ..SimSettings::default()
        }
    }
}

/// CPUs available to the benchmark when it started (before it pins itself).
fn machine_cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The machine, for the record.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, m)| m.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    json!({
        "cpus": machine_cpus(),
        "cpu_model": model,
        "memory_gib": round(mem_kib as f64 / 1024.0 / 1024.0, 1),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

/// `/proc/loadavg`'s first three figures: other work on the machine skews latencies.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn census_json(c: &Census) -> Value {
    json!({
        "users": c.users(),
        "active": c.active,
        "inactive": c.inactive,
        "pending": c.pending,
        "phone_users": c.phone_users,
        "phone_share": round(c.phone_share(), 4),
        "groups": c.groups,
        "max_page_size": c.max_page_size,
    })
}

fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("service-{name}.log"))
}

/// Scenario 1's section from its two walks.
fn import_section(deep: &ImportRun, narrow: &ImportRun) -> Section {
    let mut s = Section::new("1. full deep import (sequential SCIM paging, count 100)");
    deep.rows(&mut s);
    narrow.rows(&mut s);
    s.json = json!({
        "all_attributes": deep.json(),
        "narrow": narrow.json(),
    });
    s
}

/// Scenario 5's section.
fn memory_section(at_n: (u64, ProcUsage), at_5n: Option<(u64, ProcUsage, f64)>) -> Section {
    let mut s = Section::new("5. service peak memory during the deep import");
    s.row(
        format!("N = {}", at_n.0),
        format!(
            "peak RSS {:.1} MiB (RSS after the import {:.1} MiB)",
            at_n.1.peak_rss_mib(),
            at_n.1.rss_kib as f64 / 1024.0
        ),
    );
    let mut j = json!({
        "at_n": {
            "users": at_n.0,
            "peak_rss_mib": round(at_n.1.peak_rss_mib(), 2),
            "rss_after_mib": round(at_n.1.rss_kib as f64 / 1024.0, 2),
        },
    });
    if let Some((users, usage, wall)) = at_5n {
        s.row(
            format!("N = {users}"),
            format!(
                "peak RSS {:.1} MiB (import took {})",
                usage.peak_rss_mib(),
                seconds(wall)
            ),
        );
        j["at_5n"] = json!({
            "users": users,
            "peak_rss_mib": round(usage.peak_rss_mib(), 2),
            "import_wall_s": round(wall, 3),
        });
    }
    s.json = j;
    s
}

/// Pass/fail against the issue's targets.
fn targets(results: &Value) -> Section {
    let mut s = Section::new("targets (issue #8)");
    let mut j = serde_json::Map::new();
    let mut verdict = |name: &str, figure: String, met: Option<bool>| {
        let word = match met {
            Some(true) => "MET",
            Some(false) => "MISSED",
            None => "not measured",
        };
        s.row(name, format!("{word}: {figure}"));
        j.insert(name.to_owned(), json!({"met": met, "figure": figure}));
    };
    let s1 = &results["1"];
    if s1["status"] == "ran" {
        let r = s1["all_attributes"]["wall_over_floor"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let throttled = s1["all_attributes"]["zoom_calls"]["throttled_429"]["QPS"]
            .as_u64()
            .unwrap_or(0)
            + s1["all_attributes"]["zoom_calls"]["throttled_429"]["Daily-limit"]
                .as_u64()
                .unwrap_or(0);
        let complete = s1["all_attributes"]["complete"].as_bool() == Some(true);
        verdict(
            "1: wall/floor <= 1.15, zero 429s",
            format!("{r:.3}, {throttled} 429s, complete: {complete}"),
            Some(r <= 1.15 && throttled == 0 && complete),
        );
        let detail = s1["narrow"]["detail_calls"].as_u64().unwrap_or(0);
        let pending = results["census"]["pending"].as_u64().unwrap_or(0);
        verdict(
            "1: attributes=userName,active without detail calls",
            format!(
                "{detail} GET /users/{{userId}} ({pending} pending invitees need one to learn their id)"
            ),
            Some(detail <= pending),
        );
    } else {
        verdict("1: wall/floor <= 1.15, zero 429s", "-".into(), None);
    }
    let s3 = &results["3"];
    if s3["status"] == "ran" {
        let r = s3["wall_over_floor"].as_f64().unwrap_or(f64::NAN);
        let exact = s3["final_state_exact"].as_bool() == Some(true);
        verdict(
            "3: wall/floor <= 1.3, final state exact",
            format!("{r:.3}, exact: {exact}"),
            Some(r <= 1.3 && exact),
        );
    } else {
        verdict(
            "3: wall/floor <= 1.3, final state exact",
            s3["status"].as_str().unwrap_or("not run").to_owned(),
            None,
        );
    }
    let s4 = &results["4"];
    if s4["status"] == "ran" {
        let p99 = s4["added_p99_ms"].as_f64().unwrap_or(f64::NAN);
        let per_core = s4["service_requests_per_cpu_s"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let open_p99 = s4["open_loop"]["added_p99_ms"].as_f64().unwrap_or(f64::NAN);
        verdict(
            "4: added p99 < 2 ms (c=32)",
            format!("{p99:.3} ms closed loop (open loop at 1000 req/s: {open_p99:.3} ms)"),
            Some(p99 < 2.0),
        );
        verdict(
            "4: >= 5000 req/s per core",
            format!("{per_core:.0}"),
            Some(per_core >= 5000.0),
        );
    }
    let s5 = &results["5"];
    if s5["status"] == "ran" {
        let at_n = s5["at_n"]["peak_rss_mib"].as_f64().unwrap_or(f64::NAN);
        verdict(
            "5: peak RSS < 64 MiB at N",
            format!("{at_n:.1} MiB"),
            Some(at_n < 64.0),
        );
        if let Some(at_5n) = s5["at_5n"]["peak_rss_mib"].as_f64() {
            verdict(
                "5: about the same at 5N (within 20%)",
                format!("{at_5n:.1} MiB"),
                Some(at_5n < 64.0 && at_5n <= at_n * 1.2),
            );
        }
    }
    let s8 = &results["8"];
    if s8["status"] == "ran" {
        let general = s8["general_calls"].as_u64().unwrap_or(u64::MAX);
        let pages = s8["phone_listing_pages"].as_u64().unwrap_or(0);
        let changed = s8["changed"].as_u64().unwrap_or(0);
        let exact = s8["exact"].as_bool() == Some(true);
        let r = s8["wall_over_floor"].as_f64().unwrap_or(f64::NAN);
        verdict(
            "8: delta import: user calls in proportion to the changes, exact",
            format!(
                "{general} user/group/role calls for {changed} changed users (and {pages} phone listing pages), wall/floor {r:.3}, exact: {exact}"
            ),
            Some(general <= changed * 2 + 10 && exact),
        );
    }
    s.json = Value::Object(j);
    s
}

async fn run(args: Args) -> Result<Value> {
    let out_dir = args
        .json
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("create {out_dir:?}"))?;
    let budget = args.budget();
    let load_at_start = load_average();
    println!(
        "zoom-scim provisioning benchmark: N = {}, latency {} ms + 0..{} ms jitter, rate scale {}, Business plan, budget share {BUDGET_SHARE}",
        args.users, args.latency_ms, args.jitter_ms, args.rate_scale
    );
    match args.service_cpu() {
        Some(cpu) => println!(
            "the service runs alone on CPU {cpu}; this load generator and the simulator on the others"
        ),
        None => println!("no CPU pinning"),
    }
    let sim = Sim::start(args.sim_settings(args.users)).await?;
    if let Some(share) = args.phone_share {
        match sim.put_config(&json!({ "phone_share": share })).await {
            Ok(()) => sim.reset().await?,
            Err(e) => println!(
                "note: this simulator has no phone_share knob ({e}); using its seed's share"
            ),
        }
    }
    let census = sim.census().await?;
    println!(
        "simulator: {} users ({} active, {} inactive, {} pending), {} with Zoom Phone ({:.1}%), {} groups",
        census.users(),
        census.active,
        census.inactive,
        census.pending,
        census.phone_users,
        census.phone_share() * 100.0,
        census.groups
    );
    let mut sections: Vec<(String, Section)> = Vec::new();
    let service_options = ServiceOptions {
        rate_scale: args.rate_scale,
        env: [
            vec![(
                "ZOOM_SCIM_LOG__LEVEL".to_owned(),
                args.service_log_level.clone(),
            )],
            args.service_env.clone(),
        ]
        .concat(),
        cpu: args.service_cpu(),
    };

    if args.soak {
        return soak(&args, &sim, &service_options, &out_dir, budget).await;
    }

    // Scenarios 1 and 5 (at N).
    let mut import_wall = None;
    let mut memory_at_n = None;
    if args.wants(1) || args.wants(5) {
        println!(
            "scenario 1: importing {} users through the service...",
            census.users()
        );
        let result: Result<(ImportRun, ImportRun)> = async {
            let service =
                Service::start(&sim, &service_options, &log_path(&out_dir, "import")).await?;
            let deep = import::walk(&sim, &service, &census, budget, None).await?;
            println!(
                "  all attributes: {} (wall/floor {:.3})",
                seconds(deep.wall_s),
                deep.ratio()
            );
            let narrow =
                import::walk(&sim, &service, &census, budget, Some("userName,active")).await?;
            service.stop().await?;
            Ok((deep, narrow))
        }
        .await;
        match result {
            Ok((deep, narrow)) => {
                import_wall = Some(deep.wall_s);
                if args.wants(1) {
                    sections.push(("1".into(), import_section(&deep, &narrow)));
                }
                memory_at_n = Some((census.users(), deep.usage));
            }
            Err(e) => {
                for n in ["1", "5"] {
                    if args.wants(n.parse().unwrap_or(0)) {
                        sections.push((n.into(), Section::failed(format!("scenario {n}"), &e)));
                    }
                }
            }
        }
    }

    if args.wants(2) {
        println!(
            "scenario 2: the Java connector's sequential import ({} users)...",
            args.baseline_users
        );
        let section = match baseline::run(&sim, &census, args.baseline_users).await {
            Ok(b) => {
                let mut s = Section::new(format!(
                    "2. Java connector baseline (sequential, {})",
                    b.basis()
                ));
                b.rows(&mut s, import_wall);
                s.json = b.json(import_wall);
                s
            }
            Err(e) => Section::failed("2. Java connector baseline", &e),
        };
        sections.push(("2".into(), section));
    }

    if args.wants(3) && args.burst_self_check {
        println!("scenario 3 self-check: the burst applied straight to the simulator...");
        let section = burst::self_check(&sim)
            .await
            .unwrap_or_else(|e| Section::failed("3 (self-check)", &e));
        sections.push(("3-self-check".into(), section));
    }
    if args.wants(3) {
        println!("scenario 3: provisioning burst...");
        let result: Result<Section> = async {
            let service = Service::start(
                &sim,
                &ServiceOptions {
                    env: [
                        service_options.env.clone(),
                        vec![("ZOOM_SCIM_SCIM__DELETE_POLICY".into(), "deactivate".into())],
                    ]
                    .concat(),
                    ..service_options.clone()
                },
                &log_path(&out_dir, "burst"),
            )
            .await?;
            let faults = burst::Faults {
                fail_rate: args.fail_rate,
                drop_rate: args.drop_rate,
                lost_answer_rate: args.lost_answer_rate,
                throttle_rate: args.throttle_rate,
            };
            let section = burst::run(&sim, &service, budget, faults).await?;
            service.stop().await?;
            sim.reset().await?;
            Ok(section)
        }
        .await;
        sections.push((
            "3".into(),
            result.unwrap_or_else(|e| Section::failed("3. provisioning burst", &e)),
        ));
    }

    if args.wants(7) {
        println!("scenario 7: the burst the Java connector's way (a sample, sequential)...");
        let burst_wall = sections
            .iter()
            .find(|(key, _)| key == "3")
            .and_then(|(_, s)| s.json["wall_s"].as_f64());
        let result = burst_baseline::run(&sim, budget, burst_wall).await;
        sim.reset().await?;
        sections.push((
            "7".into(),
            result.unwrap_or_else(|e| Section::failed("7. the burst the Java connector's way", &e)),
        ));
    }

    if args.wants(8) {
        println!(
            "scenario 8: a delta import ({} users, 100 changed in Zoom)...",
            census.users()
        );
        let result = delta::run(
            &sim,
            &service_options,
            &log_path(&out_dir, "delta"),
            budget,
            census.users(),
        )
        .await;
        // The simulator stops posting to the stopped service.
        sim.put_config(&json!({"webhook_url": null, "webhook_secret": null}))
            .await?;
        sim.reset().await?;
        sections.push((
            "8".into(),
            result.unwrap_or_else(|e| Section::failed("8. delta import", &e)),
        ));
        if args.store_users > 0 {
            println!("scenario 8b: the store at {} users...", args.store_users);
            let result = delta::store_at_scale(
                args.sim_settings(args.store_users),
                &service_options,
                &log_path(&out_dir, "store-at-scale"),
            )
            .await;
            sections.push((
                "8b".into(),
                result.unwrap_or_else(|e| Section::failed("8b. the store at scale", &e)),
            ));
        }
    }

    if args.wants(9) {
        println!(
            "scenario 9: one streamed listing of {} users...",
            args.stream_users
        );
        let result = stream::run(
            args.sim_settings(args.stream_users),
            &service_options,
            budget,
            &log_path(&out_dir, "stream"),
        )
        .await;
        sections.push((
            "9".into(),
            result.unwrap_or_else(|e| Section::failed("9. one streamed listing", &e)),
        ));
    }

    if args.wants(6) {
        println!("scenario 6: one large group change...");
        let result: Result<Section> = async {
            let service =
                Service::start(&sim, &service_options, &log_path(&out_dir, "group-push")).await?;
            let section = group_push::run(&sim, &service, budget).await;
            service.stop().await?;
            sim.reset().await?;
            section
        }
        .await;
        sections.push((
            "6".into(),
            result.unwrap_or_else(|e| Section::failed("6. large group change", &e)),
        ));
    }

    if args.wants(4) {
        println!("scenario 4: per-request overhead...");
        let result: Result<Section> = async {
            let restore = sim.config().await?;
            sim.put_config(&json!({"latency_ms": 0, "jitter_ms": 0, "rate_scale": 0.0}))
                .await?;
            let service = Service::start(
                &sim,
                &ServiceOptions {
                    rate_scale: 0.0,
                    ..service_options.clone()
                },
                &log_path(&out_dir, "overhead"),
            )
            .await?;
            let section =
                overhead::run(&sim, &service, args.overhead_requests, args.latency_ms).await;
            service.stop().await?;
            sim.put_config(&json!({
                "latency_ms": restore["latency_ms"],
                "jitter_ms": restore["jitter_ms"],
                "rate_scale": restore["rate_scale"],
            }))
            .await?;
            section
        }
        .await;
        sections.push((
            "4".into(),
            result.unwrap_or_else(|e| Section::failed("4. per-request overhead", &e)),
        ));
    }
    drop(sim);

    if args.wants(5)
        && let Some(at_n) = memory_at_n
    {
        let mut at_5n = None;
        let mut failure = None;
        if args.memory_5n {
            let users = args.users * 5;
            println!(
                "scenario 5: importing {users} users (5N) with a fresh simulator and service..."
            );
            let result: Result<(u64, ProcUsage, f64)> = async {
                let sim = Sim::start(args.sim_settings(users)).await?;
                let census = sim.census().await?;
                let service =
                    Service::start(&sim, &service_options, &log_path(&out_dir, "import-5n"))
                        .await?;
                let deep = import::walk(&sim, &service, &census, budget, None).await?;
                service.stop().await?;
                Ok((census.users(), deep.usage, deep.wall_s))
            }
            .await;
            match result {
                Ok(r) => at_5n = Some(r),
                Err(e) => failure = Some(e),
            }
        }
        let mut section = memory_section(at_n, at_5n);
        if let Some(e) = failure {
            section.row("5N run", format!("FAILED: {e:#}"));
        }
        sections.push(("5".into(), section));
    }

    sections.sort_by(|a, b| a.0.cmp(&b.0));
    let mut results = serde_json::Map::new();
    results.insert("census".into(), census_json(&census));
    for (key, section) in &sections {
        results.insert(key.clone(), section.to_json());
    }
    let results = Value::Object(results);
    let verdicts = targets(&results);
    for (_, section) in &sections {
        section.print();
    }
    verdicts.print();
    let document = json!({
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "command": format!("cargo bench --bench provisioning -- {}", std::env::args().skip(1).filter(|a| a != "--bench").collect::<Vec<_>>().join(" ")),
        "machine": machine(),
        "load_average": {"start": load_at_start, "end": load_average()},
        "settings": {
            "users": args.users,
            "latency_ms": args.latency_ms,
            "jitter_ms": args.jitter_ms,
            "rate_scale": args.rate_scale,
            "plan": "business",
            "budget_share": BUDGET_SHARE,
            "baseline_users": args.baseline_users,
            "seed": args.seed,
            "service_cpu": args.service_cpu(),
        },
        "scenarios": results,
        "targets": verdicts.json,
    });
    std::fs::write(&args.json, serde_json::to_vec_pretty(&document)?)
        .with_context(|| format!("write {:?}", args.json))?;
    println!();
    println!("JSON written to {}", args.json.display());
    let failed = sections
        .iter()
        .any(|(_, s)| matches!(s.outcome, Outcome::Failed(_)));
    Ok(json!({ "failed": failed }))
}

/// The soak (`--soak`): prints and writes its section alone.
async fn soak(
    args: &Args,
    sim: &Sim,
    service_options: &ServiceOptions,
    out_dir: &Path,
    budget: Budget,
) -> Result<Value> {
    let mut faults = burst::Faults {
        fail_rate: args.fail_rate,
        drop_rate: args.drop_rate,
        lost_answer_rate: args.lost_answer_rate,
        throttle_rate: args.throttle_rate,
    };
    if faults == burst::Faults::default() {
        faults = burst::Faults {
            fail_rate: 0.03,
            drop_rate: 0.02,
            lost_answer_rate: 0.02,
            throttle_rate: 0.02,
        };
    }
    let plan = soak::Soak {
        duration: std::time::Duration::from_secs_f64(args.minutes.max(0.0) * 60.0),
        every: std::time::Duration::from_secs(args.sample_s.max(1)),
        warmup_bursts: args.warmup_bursts,
        faults,
    };
    println!(
        "soak: bursts for {} min, faults {:?}, samples every {} s",
        args.minutes,
        faults,
        plan.every.as_secs()
    );
    let service = Service::start(
        sim,
        &ServiceOptions {
            env: [
                service_options.env.clone(),
                vec![("ZOOM_SCIM_SCIM__DELETE_POLICY".into(), "deactivate".into())],
            ]
            .concat(),
            ..service_options.clone()
        },
        &log_path(out_dir, "soak"),
    )
    .await?;
    let section = soak::run(sim, &service, budget, &plan)
        .await
        .unwrap_or_else(|e| Section::failed("soak", &e));
    service.stop().await?;
    section.print();
    let document = json!({
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "command": format!("cargo bench --bench provisioning -- {}", std::env::args().skip(1).filter(|a| a != "--bench").collect::<Vec<_>>().join(" ")),
        "machine": machine(),
        "settings": {
            "users": args.users,
            "latency_ms": args.latency_ms,
            "jitter_ms": args.jitter_ms,
            "rate_scale": args.rate_scale,
            "plan": "business",
            "seed": args.seed,
        },
        "soak": section.to_json(),
    });
    std::fs::write(&args.json, serde_json::to_vec_pretty(&document)?)
        .with_context(|| format!("write {:?}", args.json))?;
    println!();
    println!("JSON written to {}", args.json.display());
    Ok(json!({ "failed": matches!(section.outcome, Outcome::Failed(_)) }))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    machine_cpus();
    // Before the runtime starts, so that every thread inherits the mask.
    if let Some(cpu) = args.service_cpu() {
        let others = if cpu == 1 {
            "0".to_owned()
        } else {
            format!("0-{}", cpu - 1)
        };
        if let Err(e) = stack::pin_self(&others) {
            eprintln!("cannot pin the benchmark to CPUs {others}: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // On Ctrl-C or SIGTERM the run is dropped, and with it the service child
    // (`kill_on_drop`), instead of leaving it running.
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = run(args) => r,
            () = interrupted() => Err(anyhow::anyhow!("interrupted")),
        }
    });
    match outcome {
        Ok(v) if v["failed"] == true => ExitCode::FAILURE,
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}
