//! Scenario 6: one large group change, as midPoint or an Okta group push sends it. A
//! group of 3,000 members gets its member list replaced (`PATCH` `replace members`) by
//! 2,000 of them and 1,000 others: 1,000 removals and 1,000 additions in one SCIM
//! request. Wall time against the floor of the calls the change needs, and the
//! simulator's final membership checked against the intended one.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use crate::floor::{Budget, Floor, MinimumCalls, calls_by_category, pages};
use crate::report::{Section, counts, round, seconds};
use crate::stack::{SCIM_TOKEN, Service, Sim, member_ids};

/// Members before the change.
const MEMBERS: usize = 3_000;
/// Members kept.
const KEPT: usize = 2_000;
/// Users added.
const ADDED: usize = 1_000;
/// Zoom's largest page of `GET /groups/{groupId}/members` (Users API: "maximum: 2000").
const MEMBER_PAGE: u64 = 2_000;
/// Users per `POST /groups/{groupId}/members` (Zoom: "up to 30 members").
const ADD_BATCH: u64 = 30;

/// One SCIM request with a JSON body; the answer's status and body.
async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: &Value,
) -> Result<(u16, Value)> {
    let response = http
        .request(method, url)
        .bearer_auth(SCIM_TOKEN)
        .header("Content-Type", "application/scim+json")
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The member ids of Zoom group `id` in the simulator's state.
async fn members_in_zoom(sim: &Sim, id: &str) -> Result<HashSet<String>> {
    let state = sim.state().await?;
    let group = state["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["id"] == id)
        .ok_or_else(|| anyhow!("group {id} is not in the simulator"))?;
    Ok(member_ids(group).map(str::to_owned).collect())
}

/// Runs scenario 6 against a service with its default settings.
pub async fn run(sim: &Sim, service: &Service, budget: Budget) -> Result<Section> {
    let mut section = Section::new("6. large group change (one PATCH: 1,000 out, 1,000 in)");
    let state = sim.state().await?;
    let active: Vec<String> = state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["status"] == "active")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .take(MEMBERS + ADDED)
        .collect();
    drop(state);
    if active.len() < MEMBERS + ADDED {
        bail!(
            "needs {} active users, the simulator has {}",
            MEMBERS + ADDED,
            active.len()
        );
    }
    let values = |ids: &[String]| {
        ids.iter()
            .map(|id| json!({"value": id}))
            .collect::<Vec<_>>()
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;

    let started = Instant::now();
    let (status, body) = send(
        &http,
        reqwest::Method::POST,
        format!("{}/Groups", service.scim_url),
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("Bench Push {}", chrono::Utc::now().timestamp_millis()),
            "members": values(&active[..MEMBERS]),
        }),
    )
    .await?;
    if status != 201 {
        bail!("creating the group answered {status}: {body}");
    }
    let setup_s = started.elapsed().as_secs_f64();
    let id = body["id"]
        .as_str()
        .ok_or_else(|| anyhow!("the created group has no id: {body}"))?
        .to_owned();
    let before = members_in_zoom(sim, &id).await?;
    if before.len() != MEMBERS {
        bail!("the group has {} members, not {MEMBERS}", before.len());
    }

    let wanted: Vec<String> = active[MEMBERS - KEPT..MEMBERS + ADDED].to_vec();
    sim.reset_stats().await?;
    let started = Instant::now();
    let (status, body) = send(
        &http,
        reqwest::Method::PATCH,
        format!("{}/Groups/{id}", service.scim_url),
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "members", "value": values(&wanted)}],
        }),
    )
    .await?;
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    if !(200..300).contains(&status) {
        bail!("the PATCH answered {status}: {body}");
    }
    let after = members_in_zoom(sim, &id).await?;
    let intended: HashSet<String> = wanted.iter().cloned().collect();
    let exact = after == intended;

    let removed = (MEMBERS - KEPT) as u64;
    let mut minimum = MinimumCalls::default();
    minimum.add(
        "DELETE /groups/{groupId}/members/{memberId}",
        removed,
        "one call per member removed (Zoom has no bulk removal)",
    );
    minimum.add(
        "POST /groups/{groupId}/members",
        (ADDED as u64).div_ceil(ADD_BATCH),
        "additions, 30 per call",
    );
    minimum.add(
        "GET /groups/{groupId}/members",
        pages(MEMBERS as u64, MEMBER_PAGE),
        "the current members, to change by difference",
    );
    // Not counted: the check that the users to add exist and are not pending (its
    // cheapest form depends on where they sit in Zoom's user listing).
    let floor = Floor::of(minimum, budget);
    let ratio = wall_s / floor.seconds.max(f64::EPSILON);

    section.row("setup: POST /Groups with 3,000 members", seconds(setup_s));
    section.row("wall", seconds(wall_s));
    section.row("floor", floor.cell());
    section.row("wall / floor", format!("{ratio:.3}"));
    let by_category = calls_by_category(&stats);
    section.row(
        "Zoom calls",
        format!("{} ({})", stats.total, counts(&by_category)),
    );
    section.row("per endpoint", counts(&stats.by_endpoint));
    section.row("429s", stats.throttled().to_string());
    section.row(
        "final membership",
        if exact {
            "exactly as intended".to_owned()
        } else {
            format!(
                "WRONG: {} missing, {} extra",
                intended.difference(&after).count(),
                after.difference(&intended).count()
            )
        },
    );
    section.json = json!({
        "setup_s": round(setup_s, 3),
        "wall_s": round(wall_s, 3),
        "floor": floor.json(),
        "wall_over_floor": round(ratio, 4),
        "status": status,
        "zoom_calls": stats.json(),
        "calls_by_category": by_category,
        "throttled": stats.throttled(),
        "final_state_exact": exact,
    });
    Ok(section)
}
