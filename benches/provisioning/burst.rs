//! Scenario 3: a provisioning burst (1,000 creates, 1,000 PATCH updates, 500 group
//! member adds, 200 deletes) sent by 8 concurrent SCIM clients; wall time against the
//! rate-limit floor, and the simulator's final state checked against the intended one.
//!
//! Operations a build does not offer yet (501 Not Implemented, or no `/Groups`) are
//! reported as "not available in this build" instead of failing the run.
//!
//! The clients behave like IGA tools: an answer that says "try again" (a transport
//! error, 429, 500, 502, 503, 504) is retried up to [`ATTEMPTS`] times; a retried create
//! that meets 409 `uniqueness`, or a retried delete that meets 404, counts as done (the
//! earlier attempt took effect: Entra, Okta and midPoint then match the existing
//! resource). With `--fail-rate`, `--drop-rate`, `--lost-answer-rate` or
//! `--throttle-rate` the simulator injects those faults during the burst only, and the
//! final state must still be exact.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use futures::StreamExt;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::floor::{Budget, Floor, MinimumCalls, calls_by_category};
use crate::report::{Outcome, Percentiles, Section, round, seconds};
use crate::stack::{SCIM_TOKEN, Service, Sim, member_ids};

/// Concurrent SCIM clients.
pub const CLIENTS: usize = 8;
/// Attempts per operation, the first included.
const ATTEMPTS: u32 = 6;

/// Random faults the simulator injects during the burst (its `SimSettings` rates).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    pub fail_rate: f64,
    pub drop_rate: f64,
    pub lost_answer_rate: f64,
    pub throttle_rate: f64,
}

impl Faults {
    fn any(&self) -> bool {
        *self != Self::default()
    }

    fn config(&self) -> Value {
        json!({
            "fail_rate": self.fail_rate,
            "drop_rate": self.drop_rate,
            "lost_answer_rate": self.lost_answer_rate,
            "throttle_rate": self.throttle_rate,
        })
    }
}

/// Whether an answer asks the client to try again later.
fn retryable(status: u16) -> bool {
    matches!(status, 0 | 429 | 500 | 502 | 503 | 504)
}
/// Operations of the burst at full size.
const CREATES: usize = 1_000;
const UPDATES: usize = 1_000;
const GROUP_ADDS: usize = 500;
const DELETES: usize = 200;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The four kinds of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `POST /Users`.
    Create,
    /// `PATCH /Users/{id}` replacing `title`.
    Update,
    /// `PATCH /Groups/{id}` adding one member.
    GroupAdd,
    /// `DELETE /Users/{id}` (the service's delete policy: deactivate).
    Delete,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Create, Kind::Update, Kind::GroupAdd, Kind::Delete];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create (POST /Users)",
            Kind::Update => "update (PATCH /Users/{id} title)",
            Kind::GroupAdd => "group member add (PATCH /Groups/{id})",
            Kind::Delete => "delete (DELETE /Users/{id}, policy deactivate)",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Update => "update",
            Kind::GroupAdd => "group_add",
            Kind::Delete => "delete",
        }
    }

    /// The calls of the operation when it also reads what correctness needs, with the
    /// reason for each read (the second floor the report shows).
    fn checked_calls(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Create => &[
                ("POST /users", "create"),
                (
                    "GET /users/{userId}",
                    "answer with Zoom's record: the 201 body has 5 fields (contract 3.2)",
                ),
            ],
            Kind::Update => &[
                (
                    "GET /users/{userId}",
                    "status first: Zoom answers 204 to a pending user's update and drops it (contract 3.10)",
                ),
                (
                    "GET /phone/users/{userId}",
                    "the phone profile, for the answer (a write reads it whatever the roster says)",
                ),
                ("PATCH /users/{userId}", "update"),
            ],
            // The member check (unknown ids refused before anything changes; pending
            // users join another way) and a delete's status check (a pending user is
            // withdrawn, never deactivated, contract 3.5) come from the user roster's
            // walk, counted once below.
            Kind::GroupAdd => &[("POST /groups/{groupId}/members", "add")],
            Kind::Delete => &[("PUT /users/{userId}/status", "deactivate")],
        }
    }

    /// The one Zoom call the operation needs at least (docs/zoom-contract.md sections 3
    /// and 4: create, update, deactivate are Light; adding members is Medium).
    fn minimum_endpoint(self) -> &'static str {
        match self {
            Kind::Create => "POST /users",
            Kind::Update => "PATCH /users/{userId}",
            Kind::GroupAdd => "POST /groups/{groupId}/members",
            Kind::Delete => "PUT /users/{userId}/status",
        }
    }
}

/// One SCIM request of the burst.
#[derive(Debug, Clone)]
pub enum Op {
    Create {
        user_name: String,
        given: String,
        family: String,
    },
    Update {
        id: String,
        title: String,
    },
    GroupAdd {
        group_id: String,
        user_id: String,
    },
    Delete {
        id: String,
    },
}

impl Op {
    pub fn kind(&self) -> Kind {
        match self {
            Op::Create { .. } => Kind::Create,
            Op::Update { .. } => Kind::Update,
            Op::GroupAdd { .. } => Kind::GroupAdd,
            Op::Delete { .. } => Kind::Delete,
        }
    }

    fn request(&self, http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        let builder = match self {
            Op::Create {
                user_name,
                given,
                family,
            } => http.post(format!("{base}/Users")).json(&json!({
                "schemas": [USER_SCHEMA],
                "userName": user_name,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"value": user_name, "type": "work", "primary": true}],
                "active": true,
            })),
            Op::Update { id, title } => http.patch(format!("{base}/Users/{id}")).json(&json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "path": "title", "value": title}],
            })),
            Op::GroupAdd { group_id, user_id } => http
                .patch(format!("{base}/Groups/{group_id}"))
                .json(&json!({
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": user_id}]}],
                })),
            Op::Delete { id } => http.delete(format!("{base}/Users/{id}")),
        };
        builder
            .bearer_auth(SCIM_TOKEN)
            .header("Content-Type", "application/scim+json")
    }

    /// The same change made straight to Zoom (the simulator), for [`self_check`]
    /// (docs/zoom-contract.md sections 3.2, 3.4, 3.6 and 4).
    fn zoom_request(
        &self,
        http: &reqwest::Client,
        api: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        let builder = match self {
            Op::Create {
                user_name,
                given,
                family,
            } => http.post(format!("{api}/users")).json(&json!({
                "action": "create",
                "user_info": {"email": user_name, "type": 1, "first_name": given, "last_name": family},
            })),
            Op::Update { id, title } => http
                .patch(format!("{api}/users/{id}"))
                .json(&json!({ "job_title": title })),
            Op::GroupAdd { group_id, user_id } => http
                .post(format!("{api}/groups/{group_id}/members"))
                .json(&json!({"members": [{"id": user_id}]})),
            Op::Delete { id } => http
                .put(format!("{api}/users/{id}/status"))
                .json(&json!({"action": "deactivate"})),
        };
        builder.bearer_auth(token)
    }

    fn succeeded(&self, status: u16) -> bool {
        match self {
            Op::Create { .. } => status == 201,
            Op::Update { .. } | Op::GroupAdd { .. } => matches!(status, 200 | 204),
            Op::Delete { .. } => status == 204,
        }
    }

    /// Whether the answer to a retry shows that an earlier attempt took effect.
    fn done_earlier(&self, status: u16) -> bool {
        match self {
            Op::Create { .. } => status == 409,
            Op::Delete { .. } => status == 404,
            Op::Update { .. } | Op::GroupAdd { .. } => false,
        }
    }
}

/// What happened to one kind of operation.
#[derive(Debug, Clone, Default)]
struct KindResult {
    planned: usize,
    sent: usize,
    succeeded: usize,
    /// Extra attempts after answers that said "try again".
    retries: usize,
    /// Retries whose answer showed the earlier attempt had taken effect.
    done_earlier: usize,
    failures: Vec<String>,
    failed: usize,
    not_implemented: usize,
    latencies: Vec<Duration>,
}

/// The burst's plan: operations and the state they must lead to.
pub struct Plan {
    /// The operations, shuffled.
    pub ops: Vec<Op>,
    creates: Vec<(String, String, String)>,
    updates: Vec<(String, String)>,
    group_adds: Vec<(String, String)>,
    deletes: Vec<String>,
}

fn users_of(state: &Value) -> impl Iterator<Item = &Value> {
    state["users"].as_array().into_iter().flatten()
}

/// Picks disjoint targets among active, non-admin users (Zoom refuses to deactivate
/// the owner and admins) and builds the operations, shuffled with a fixed seed.
pub fn plan(state: &Value, run_tag: &str) -> Result<Plan> {
    let owner = state["account"]["owner_id"].as_str().unwrap_or_default();
    let domain = state["account"]["domain"].as_str().unwrap_or("example.com");
    let eligible: Vec<&str> = users_of(state)
        .filter(|u| u["status"] == "active")
        .filter(|u| !matches!(u["role_id"].as_str(), Some("0" | "1")))
        .filter_map(|u| u["id"].as_str())
        .filter(|id| *id != owner)
        .collect();
    let wanted = UPDATES + DELETES + GROUP_ADDS;
    let factor = (eligible.len() as f64 / wanted as f64).min(1.0);
    let scale = |n: usize| (n as f64 * factor).floor() as usize;
    let (n_updates, n_deletes, n_adds, n_creates) = (
        scale(UPDATES),
        scale(DELETES),
        scale(GROUP_ADDS),
        scale(CREATES),
    );
    let mut rest = eligible.iter();
    let updates: Vec<(String, String)> = rest
        .by_ref()
        .take(n_updates)
        .enumerate()
        .map(|(i, id)| ((*id).to_owned(), format!("Bench Title {run_tag} {i}")))
        .collect();
    let deletes: Vec<String> = rest
        .by_ref()
        .take(n_deletes)
        .map(|id| (*id).to_owned())
        .collect();
    let groups: Vec<(&str, HashSet<&str>)> = state["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| Some((g["id"].as_str()?, member_ids(g).collect())))
        .collect();
    if groups.is_empty() && n_adds > 0 {
        return Err(anyhow!("the simulated account has no groups"));
    }
    let mut group_adds = Vec::new();
    for (i, user) in rest.by_ref().take(n_adds).enumerate() {
        let target = (0..groups.len())
            .map(|k| &groups[(i + k) % groups.len()])
            .find(|(_, members)| !members.contains(user));
        if let Some((group, _)) = target {
            group_adds.push(((*group).to_owned(), (*user).to_owned()));
        }
    }
    let creates: Vec<(String, String, String)> = (0..n_creates)
        .map(|i| {
            (
                format!("bench.{run_tag}.{i}@{domain}"),
                format!("Bench{i}"),
                format!("Burst{run_tag}"),
            )
        })
        .collect();
    let mut ops: Vec<Op> = Vec::new();
    ops.extend(creates.iter().map(|(u, g, f)| Op::Create {
        user_name: u.clone(),
        given: g.clone(),
        family: f.clone(),
    }));
    ops.extend(updates.iter().map(|(id, title)| Op::Update {
        id: id.clone(),
        title: title.clone(),
    }));
    ops.extend(group_adds.iter().map(|(g, u)| Op::GroupAdd {
        group_id: g.clone(),
        user_id: u.clone(),
    }));
    ops.extend(deletes.iter().map(|id| Op::Delete { id: id.clone() }));
    ops.shuffle(&mut StdRng::seed_from_u64(8));
    Ok(Plan {
        ops,
        creates,
        updates,
        group_adds,
        deletes,
    })
}

/// Probes each kind with a harmless request: 501 (or no `/Groups` at all) means the
/// build lacks it.
async fn available_kinds(http: &reqwest::Client, base: &str) -> Result<BTreeMap<Kind, String>> {
    let mut missing = BTreeMap::new();
    let missing_id = "bench-no-such-user";
    let probes: [(Kind, reqwest::RequestBuilder); 4] = [
        (
            Kind::Create,
            http.post(format!("{base}/Users"))
                .json(&json!({"schemas": [USER_SCHEMA]})),
        ),
        (
            Kind::Update,
            http.patch(format!("{base}/Users/{missing_id}"))
                .json(&json!({
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "path": "title", "value": "x"}],
                })),
        ),
        (
            Kind::GroupAdd,
            http.get(format!("{base}/Groups")).query(&[("count", "1")]),
        ),
        (
            Kind::Delete,
            http.delete(format!("{base}/Users/{missing_id}")),
        ),
    ];
    for (kind, request) in probes {
        let response = request
            .bearer_auth(SCIM_TOKEN)
            .header("Content-Type", "application/scim+json")
            .send()
            .await?;
        let status = response.status().as_u16();
        let detail = response
            .json::<Value>()
            .await
            .ok()
            .and_then(|b| b["detail"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let absent = status == 501 || (kind == Kind::GroupAdd && matches!(status, 404 | 405));
        if absent {
            missing.insert(kind, format!("{status}: {detail}"));
        }
    }
    Ok(missing)
}

/// One operation's outcome at its client.
struct Attempted {
    kind: Kind,
    status: u16,
    elapsed: Duration,
    retries: usize,
    earlier: bool,
    /// Empty when it succeeded.
    note: String,
}

/// Runs the operations with [`CLIENTS`] workers, each its own keep-alive client.
async fn execute(
    ops: Vec<Op>,
    base: &str,
    missing: &BTreeMap<Kind, String>,
) -> Result<(f64, BTreeMap<Kind, KindResult>)> {
    let mut results: BTreeMap<Kind, KindResult> = BTreeMap::new();
    for op in &ops {
        results.entry(op.kind()).or_default().planned += 1;
    }
    let queue: Arc<Mutex<VecDeque<Op>>> = Arc::new(Mutex::new(
        ops.into_iter()
            .filter(|op| !missing.contains_key(&op.kind()))
            .collect(),
    ));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let queue = queue.clone();
        let base = base.to_owned();
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()?;
            let mut done: Vec<Attempted> = Vec::new();
            loop {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow!("work queue poisoned"))?
                    .pop_front();
                let Some(op) = next else { break };
                let sent = Instant::now();
                let mut attempt = 1;
                let (status, body, earlier) = loop {
                    let (status, body, retry_after) = match op.request(&http, &base).send().await {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let retry_after = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse::<u64>().ok());
                            (status, r.text().await.unwrap_or_default(), retry_after)
                        }
                        Err(e) => (0, format!("transport error: {e}"), None),
                    };
                    if attempt > 1 && op.done_earlier(status) {
                        break (status, body, true);
                    }
                    if !retryable(status) || attempt == ATTEMPTS {
                        break (status, body, false);
                    }
                    let pause = retry_after.map_or(
                        Duration::from_millis(250 * u64::from(attempt)),
                        Duration::from_secs,
                    );
                    tokio::time::sleep(pause.min(Duration::from_secs(10))).await;
                    attempt += 1;
                };
                let elapsed = sent.elapsed();
                let note = if op.succeeded(status) || earlier {
                    String::new()
                } else {
                    format!(
                        "{op:?} -> {status} after {attempt} attempt(s) {}",
                        body.chars().take(300).collect::<String>()
                    )
                };
                done.push(Attempted {
                    kind: op.kind(),
                    status,
                    elapsed,
                    retries: (attempt - 1) as usize,
                    earlier,
                    note,
                });
            }
            Ok::<_, anyhow::Error>(done)
        }));
    }
    for worker in workers {
        for Attempted {
            kind,
            status,
            elapsed,
            retries,
            earlier,
            note,
        } in worker.await??
        {
            let r = results.entry(kind).or_default();
            r.sent += 1;
            r.retries += retries;
            r.done_earlier += usize::from(earlier);
            r.latencies.push(elapsed);
            if note.is_empty() {
                r.succeeded += 1;
            } else {
                if status == 501 {
                    r.not_implemented += 1;
                }
                r.failed += 1;
                if r.failures.len() < 5 {
                    r.failures.push(note);
                }
            }
        }
    }
    Ok((started.elapsed().as_secs_f64(), results))
}

/// Compares the simulator's state after the burst with the intended one: every
/// intended change present, nothing else changed. Returns the differences found.
fn check_state(before: &Value, after: &Value, plan: &Plan, ran: &HashSet<Kind>) -> Vec<String> {
    let mut diffs = Vec::new();
    let index = |state: &Value| -> HashMap<String, Value> {
        users_of(state)
            .filter_map(|u| Some((u["id"].as_str()?.to_owned(), u.clone())))
            .collect()
    };
    let old = index(before);
    let new = index(after);
    // Which fields each touched user may change.
    let mut allowed: HashMap<&str, Vec<&str>> = HashMap::new();
    if ran.contains(&Kind::Update) {
        for (id, title) in &plan.updates {
            allowed.entry(id).or_default().push("job_title");
            if new.get(id).map(|u| &u["job_title"]) != Some(&json!(title)) {
                diffs.push(format!(
                    "user {id}: job_title {:?}, intended {title:?}",
                    new.get(id).map(|u| &u["job_title"])
                ));
            }
        }
    }
    if ran.contains(&Kind::Delete) {
        for id in &plan.deletes {
            allowed.entry(id).or_default().push("status");
            match new.get(id) {
                Some(u) if u["status"] == "inactive" => {}
                Some(u) => diffs.push(format!(
                    "user {id}: status {}, intended inactive",
                    u["status"]
                )),
                None => diffs.push(format!("user {id}: gone, intended inactive")),
            }
        }
    }
    if ran.contains(&Kind::GroupAdd) {
        for (_, user) in &plan.group_adds {
            allowed.entry(user).or_default().push("group_ids");
        }
    }
    // Pre-existing users: unchanged except the intended fields.
    for (id, was) in &old {
        let Some(now) = new.get(id) else {
            diffs.push(format!("user {id}: vanished"));
            continue;
        };
        let fields = allowed.get(id.as_str()).cloned().unwrap_or_default();
        let strip = |v: &Value| -> Value {
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                for f in &fields {
                    m.remove(*f);
                }
            }
            v
        };
        if strip(was) != strip(now) {
            diffs.push(format!("user {id}: changed beyond the intended fields"));
        }
    }
    // New users: exactly the intended creates, once each.
    let created: Vec<&Value> = new
        .iter()
        .filter(|(id, _)| !old.contains_key(*id))
        .map(|(_, u)| u)
        .collect();
    let mut by_email: HashMap<String, Vec<&Value>> = HashMap::new();
    for u in &created {
        by_email
            .entry(u["email"].as_str().unwrap_or_default().to_ascii_lowercase())
            .or_default()
            .push(u);
    }
    let intended_creates = if ran.contains(&Kind::Create) {
        plan.creates.len()
    } else {
        0
    };
    if created.len() != intended_creates {
        diffs.push(format!(
            "{} new users, intended {intended_creates}",
            created.len()
        ));
    }
    if ran.contains(&Kind::Create) {
        for (user_name, given, family) in &plan.creates {
            match by_email
                .get(&user_name.to_ascii_lowercase())
                .map(Vec::as_slice)
            {
                Some([u]) => {
                    if u["first_name"] != json!(given) || u["last_name"] != json!(family) {
                        diffs.push(format!(
                            "created {user_name}: name {} {}, intended {given} {family}",
                            u["first_name"], u["last_name"]
                        ));
                    }
                }
                Some(many) => diffs.push(format!("created {user_name}: {} copies", many.len())),
                None => diffs.push(format!("created {user_name}: missing")),
            }
        }
    }
    // Groups: old members plus the intended adds, nothing else.
    let members = |state: &Value| -> HashMap<String, BTreeSet<String>> {
        state["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| {
                let ids = member_ids(g).map(str::to_owned).collect();
                Some((g["id"].as_str()?.to_owned(), ids))
            })
            .collect()
    };
    let mut intended = members(before);
    if ran.contains(&Kind::GroupAdd) {
        for (group, user) in &plan.group_adds {
            intended
                .entry(group.clone())
                .or_default()
                .insert(user.clone());
        }
    }
    let actual = members(after);
    for (group, want) in &intended {
        let got = actual.get(group).cloned().unwrap_or_default();
        if &got != want {
            let missing = want.difference(&got).count();
            let extra = got.difference(want).count();
            diffs.push(format!(
                "group {group}: {missing} intended members missing, {extra} unintended"
            ));
        }
    }
    if actual.len() != intended.len() {
        diffs.push(format!(
            "{} groups, intended {}",
            actual.len(),
            intended.len()
        ));
    }
    diffs
}

/// Checks the harness itself: applies the burst's operations straight to the
/// simulator's Zoom API (no service, no rate limit, no latency) and runs the final-state
/// check, which must find the state exactly as intended. Leaves the simulator re-seeded.
pub async fn self_check(sim: &Sim) -> Result<Section> {
    let mut section = Section::new("3 (self-check). burst applied straight to the simulator");
    let restore = sim.config().await?;
    sim.put_config(&json!({"latency_ms": 0, "jitter_ms": 0, "rate_scale": 0.0}))
        .await?;
    let before = sim.state().await?;
    let plan = plan(&before, "check")?;
    let http = reqwest::Client::new();
    let token = sim.access_token(&http).await?;
    let api = sim.api_base();
    let mut failures = Vec::new();
    let outcomes: Vec<(Op, Result<u16, String>)> = futures::stream::iter(plan.ops.iter().cloned())
        .map(|op| {
            let request = op.zoom_request(&http, &api, &token);
            async move {
                let outcome = match request.send().await {
                    Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
                    Ok(r) => Err(format!(
                        "{} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => Err(e.to_string()),
                };
                (op, outcome)
            }
        })
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    for (op, outcome) in &outcomes {
        if let Err(e) = outcome {
            failures.push(format!("{op:?}: {e}"));
        }
    }
    let after = sim.state().await?;
    let all_kinds: HashSet<Kind> = Kind::ALL.into_iter().collect();
    let diffs = check_state(&before, &after, &plan, &all_kinds);
    // Negative control: the unchanged state must fail the same check.
    let control = check_state(&before, &before, &plan, &all_kinds);
    sim.put_config(&json!({
        "latency_ms": restore["latency_ms"],
        "jitter_ms": restore["jitter_ms"],
        "rate_scale": restore["rate_scale"],
    }))
    .await?;
    sim.reset().await?;
    section.row(
        "operations applied",
        format!(
            "{} of {} ({} creates, {} updates, {} group adds, {} deactivations)",
            outcomes.len() - failures.len(),
            outcomes.len(),
            plan.creates.len(),
            plan.updates.len(),
            plan.group_adds.len(),
            plan.deletes.len()
        ),
    );
    for f in failures.iter().take(5) {
        section.row("  failure", f.clone());
    }
    section.row(
        "final-state check",
        if diffs.is_empty() {
            "exactly as intended".to_owned()
        } else {
            format!("{} differences, e.g. {}", diffs.len(), diffs[0])
        },
    );
    section.row(
        "negative control",
        format!(
            "{} differences found in the untouched state (must be > 0)",
            control.len()
        ),
    );
    if !failures.is_empty() || !diffs.is_empty() || control.is_empty() {
        section.outcome = Outcome::Failed(
            "the harness's own check failed: scenario 3's verdicts cannot be trusted".to_owned(),
        );
    }
    section.json = json!({
        "operations": outcomes.len(),
        "failed": failures.len(),
        "final_state_exact": diffs.is_empty(),
        "final_state_differences": diffs.iter().take(50).collect::<Vec<_>>(),
        "negative_control_differences": control.len(),
    });
    Ok(section)
}

/// Runs the burst against `service`.
pub async fn run(sim: &Sim, service: &Service, budget: Budget, faults: Faults) -> Result<Section> {
    let mut section = Section::new("3. provisioning burst (8 concurrent SCIM clients)");
    let http = reqwest::Client::new();
    let missing = available_kinds(&http, &service.scim_url).await?;
    let before = sim.state().await?;
    let run_tag = format!("{}", chrono::Utc::now().timestamp() % 100_000);
    let plan = plan(&before, &run_tag)?;
    let ran: HashSet<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| !missing.contains_key(k))
        .collect();
    for (kind, why) in &missing {
        section.row(
            kind.as_str(),
            format!("not available in this build (probe answered {why})"),
        );
    }
    if ran.is_empty() {
        section.outcome = Outcome::NotAvailable(
            "user writes and SCIM Groups answer 501/404 in this build".to_owned(),
        );
        section.json = json!({
            "unavailable": missing.iter().map(|(k, w)| (k.key(), w.clone())).collect::<BTreeMap<_, _>>(),
        });
        return Ok(section);
    }
    sim.reset_stats().await?;
    if faults.any() {
        sim.put_config(&faults.config()).await?;
    }
    let executed = execute(plan.ops.clone(), &service.scim_url, &missing).await;
    if faults.any() {
        sim.put_config(&Faults::default().config()).await?;
    }
    let (wall_s, results) = executed?;
    let stats = sim.stats().await?;
    let after = sim.state().await?;
    // Kinds that turned out unimplemented mid-run leave the state alone.
    let ran: HashSet<Kind> = ran
        .into_iter()
        .filter(|k| results.get(k).is_none_or(|r| r.not_implemented == 0))
        .collect();
    let diffs = check_state(&before, &after, &plan, &ran);
    let mut minimum = MinimumCalls::default();
    for kind in &ran {
        let n = results.get(kind).map_or(0, |r| r.planned) as u64;
        minimum.add(
            kind.minimum_endpoint(),
            n,
            format!("one call per {}", kind.key()),
        );
    }
    let floor = Floor::of(minimum, budget);
    let ratio = wall_s / floor.seconds;
    let mut checked = MinimumCalls::default();
    for kind in &ran {
        let n = results.get(kind).map_or(0, |r| r.planned) as u64;
        for (endpoint, why) in kind.checked_calls() {
            checked.add(endpoint, n, format!("{}: {why}", kind.key()));
        }
    }
    if ran.contains(&Kind::GroupAdd) || ran.contains(&Kind::Delete) {
        // The user roster: the active and inactive lists at 300 a page, walked once.
        let pages = |status: &str| {
            users_of(&before)
                .filter(|u| u["status"] == status)
                .count()
                .div_ceil(300) as u64
        };
        checked.add(
            "GET /users",
            pages("active") + pages("inactive"),
            "the user roster's walk: who is confirmed (not pending), for member adds and deletes"
                .to_owned(),
        );
    }
    let checked_floor = Floor::of(checked, budget);
    let checked_ratio = wall_s / checked_floor.seconds;
    section.row("wall", seconds(wall_s));
    section.row("floor", floor.cell());
    section.row("wall / floor", format!("{ratio:.3}"));
    section.row(
        "floor with the reads correctness needs",
        format!(
            "{}; wall / that floor {checked_ratio:.3}",
            checked_floor.cell()
        ),
    );
    let mut kinds_json = serde_json::Map::new();
    for (kind, r) in &results {
        let p = Percentiles::of(&r.latencies);
        let available = ran.contains(kind);
        section.row(
            kind.as_str(),
            if available {
                format!(
                    "{}/{} succeeded, {} failed, {} client retries ({} found done by an earlier attempt); {}",
                    r.succeeded,
                    r.planned,
                    r.failed,
                    r.retries,
                    r.done_earlier,
                    p.cell()
                )
            } else {
                "not available in this build".to_owned()
            },
        );
        for f in &r.failures {
            section.row("  failure", f.clone());
        }
        kinds_json.insert(
            kind.key().to_owned(),
            json!({
                "available": available,
                "planned": r.planned,
                "sent": r.sent,
                "succeeded": r.succeeded,
                "failed": r.failed,
                "client_retries": r.retries,
                "done_by_an_earlier_attempt": r.done_earlier,
                "failure_examples": r.failures,
                "latency": p.json(),
            }),
        );
    }
    let by_cat: Vec<String> = calls_by_category(&stats)
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    section.row(
        "Zoom calls",
        format!("{} ({})", stats.total, by_cat.join(", ")),
    );
    let by_endpoint: Vec<String> = stats
        .by_endpoint
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    section.row("per endpoint", by_endpoint.join(", "));
    section.row("429s", stats.throttled().to_string());
    if faults.any() {
        section.row(
            "injected faults",
            format!(
                "{} (rates: 5xx {}, dropped connection {}, lost answer {}, 429 {})",
                stats.faults_injected,
                faults.fail_rate,
                faults.drop_rate,
                faults.lost_answer_rate,
                faults.throttle_rate
            ),
        );
    }
    section.row(
        "final state",
        if diffs.is_empty() {
            "exactly as intended".to_owned()
        } else {
            format!("{} differences, e.g. {}", diffs.len(), diffs[0])
        },
    );
    section.json = json!({
        "clients": CLIENTS,
        "injected_fault_rates": faults.config(),
        "injected_faults": stats.faults_injected,
        "wall_s": round(wall_s, 3),
        "floor": floor.json(),
        "wall_over_floor": round(ratio, 4),
        "floor_with_checks": checked_floor.json(),
        "wall_over_floor_with_checks": round(checked_ratio, 4),
        "operations": kinds_json,
        "unavailable": missing.iter().map(|(k, w)| (k.key(), w.clone())).collect::<BTreeMap<_, _>>(),
        "zoom_calls": stats.json(),
        "zoom_calls_by_category": calls_by_category(&stats),
        "final_state_exact": diffs.is_empty(),
        "final_state_differences": diffs.iter().take(50).collect::<Vec<_>>(),
        "final_state_difference_count": diffs.len(),
    });
    Ok(section)
}
