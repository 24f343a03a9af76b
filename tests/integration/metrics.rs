//! `/metrics` as an operator graphs it: durations are histograms labelled by route and
//! status class (SCIM) and by endpoint and category (Zoom), and the Grafana dashboard
//! shipped in `docker/` queries only metrics the service exposes.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;

use crate::support::{Stack, sim_settings, start_stack};

async fn scrape(stack: &Stack) -> String {
    stack
        .http
        .get(format!("http://{}/metrics", stack.service.addr))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics text")
}

/// The metric names a PromQL expression reads (`..._total`, `..._bucket`, ...).
fn metric_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| {
            ["_total", "_bucket", "_count", "_sum", "_entries"]
                .iter()
                .any(|s| t.ends_with(s))
        })
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn durations_are_histograms_and_the_dashboard_reads_only_what_is_exposed() {
    let mut config = Config::default();
    config.store.watch_interval_s = 1;
    config.zoom.webhook_secret_token = Some(zoom_scim::secret::Secret::new("metrics-secret"));
    let stack = start_stack(sim_settings(20), config).await;
    let url = format!("http://{}/zoom/webhook", stack.service.addr);
    stack
        .sim
        .configure(|s| {
            s.webhook_url = Some(url);
            s.webhook_secret = Some("metrics-secret".into());
        })
        .unwrap();
    // A 429 and a 503 from Zoom, each retried.
    for status in [429, 503] {
        stack
            .add_fault(
                json!({"method": "GET", "path": "/users", "count": 1, "action": "respond",
                              "status": status, "headers": {"Retry-After": "0"}}),
            )
            .await;
    }
    let (status, _) = stack.get("/Users?count=5").await;
    assert_eq!(status, 200);
    let (status, _) = stack.get("/Users?filter=nonsense").await;
    assert_eq!(status, 400);
    let user = stack.active_member().await;
    let id = user["id"].as_str().unwrap();
    let r = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"schemas": [urn::PATCH_OP],
                "Operations": [{"op": "replace", "path": "title", "value": "Graphed"}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = stack
        .scim(Method::DELETE, &format!("/Users/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 204, "{}", r.body);

    // Wait for what the background work reports: a change walk, a roster walk, a
    // webhook delivery.
    let mut text = String::new();
    for _ in 0..50 {
        text = scrape(&stack).await;
        if text.contains("change_walks_total{")
            && text.contains("roster_walks_total{")
            && text.contains("zoom_webhook_deliveries_total{")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle));
    assert!(
        text.lines()
            .any(|l| l.starts_with("scim_request_duration_seconds_bucket{")
                && l.contains("route=\"/scim/v2/Users\"")
                && l.contains("status_class=\"4xx\"")),
        "the SCIM duration is a histogram by route and status class"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("zoom_request_duration_seconds_bucket{")
                && l.contains("path=\"/users/{userId}\"")
                && l.contains("category=\"Light\"")),
        "the Zoom call duration is a histogram by endpoint template and category"
    );
    assert!(has("zoom_limiter_wait_seconds_bucket{"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("zoom_retries_total{") && l.contains("reason=\"rate_limited\"")),
        "retries by reason"
    );

    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/grafana-dashboard.json"),
        )
        .expect("the dashboard"),
    )
    .expect("the dashboard is JSON");
    let mut names = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            names.extend(metric_names(target["expr"].as_str().expect("expr")));
        }
    }
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} "))),
            "the dashboard reads `{name}`, which /metrics does not expose"
        );
    }
}
