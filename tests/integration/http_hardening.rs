//! The HTTP server under hostile or broken clients: bounded metrics labels, timeouts,
//! the connection cap, capped `Warning` headers, preconditions, readiness, hyper's own
//! answers and graceful shutdown.

use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zoom_scim::config::Config;

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack};

fn origin(stack: &Stack) -> String {
    stack.service.scim_base_url.replace("/scim/v2", "")
}

async fn metrics_text(stack: &Stack) -> String {
    let response = stack
        .http
        .get(format!("{}/metrics", origin(stack)))
        .send()
        .await
        .expect("metrics");
    response.text().await.expect("metrics text")
}

#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let stack = start_stack(sim_settings(3), Config::default()).await;
    // Label sets this test can create are created once first.
    let warm = |i: usize| {
        let stack = &stack;
        async move {
            let method = Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
            let url = format!(
                "{}/Users/{}",
                stack.service.scim_base_url,
                "x".repeat(i % 7)
            );
            stack
                .http
                .request(method, url)
                .bearer_auth(SCIM_TOKEN)
                .send()
                .await
                .unwrap();
            let url = format!("{}/no/such/path/{i}", origin(stack));
            stack.http.get(url).send().await.unwrap();
        }
    };
    for i in 0..5 {
        warm(i).await;
    }
    let before = metrics_text(&stack).await;
    for i in 5..400 {
        warm(i).await;
    }
    let after = metrics_text(&stack).await;
    assert!(!after.contains("MADEUP"), "raw methods became labels");
    assert!(!after.contains("/no/such/path"), "raw paths became labels");
    assert!(
        after.contains("method=\"other\""),
        "unknown methods count as other"
    );
    let lines = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("scim_requests_total") && l.contains("method=\"other\""))
            .count()
    };
    assert_eq!(lines(&before), lines(&after), "no new series:\n{after}");
}

#[tokio::test]
async fn many_warnings_become_a_few_headers_and_a_count() {
    let mut config = Config::default();
    config.scim.create_action = zoom_scim::zoom::model::CreateAction::AutoCreate;
    let stack = start_stack(sim_settings(3), config).await;
    let emails: Vec<_> = (0..40)
        .map(|i| serde_json::json!({"value": format!("alias{i}@example.com"), "type": "other"}))
        .collect();
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "many.aliases@example.com",
        "name": {"givenName": "Many", "familyName": "Aliases"},
        "emails": emails,
    });
    let answer = stack.scim(Method::POST, "/Users", Some(body), &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let warnings = answer.warnings();
    assert_eq!(warnings.len(), 6, "{warnings:?}");
    assert!(warnings[0].contains("alias"), "{warnings:?}");
    assert!(
        warnings[5].contains("more warnings, see the service log"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn an_unreadable_if_match_refuses_the_write() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let user = stack.sim_members("active").await.remove(0);
    let id = user["id"].as_str().unwrap().to_owned();
    let url = format!("{}/Users/{id}", stack.service.scim_base_url);
    let patch = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Changed Unchecked"}],
    });
    for raw in [&b"W/\"caf\xc3\xa9\""[..], b"\xff"] {
        let value = reqwest::header::HeaderValue::from_bytes(raw).unwrap();
        for method in [Method::PATCH, Method::DELETE] {
            let mut request = stack
                .http
                .request(method.clone(), &url)
                .bearer_auth(SCIM_TOKEN)
                .header("if-match", value.clone());
            if method == Method::PATCH {
                request = request
                    .header("content-type", "application/scim+json")
                    .body(patch.to_string());
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 412, "{method} {raw:?}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["status"], "412", "a SCIM error body: {body}");
        }
    }
    let after = stack.sim_user(&id).await.unwrap();
    assert_eq!(after["status"], "active", "not deactivated");
    assert_ne!(after["job_title"], "Changed Unchecked", "not changed");

    // A second If-Match line is part of the condition, not dropped.
    let response = stack
        .http
        .patch(&url)
        .bearer_auth(SCIM_TOKEN)
        .header("if-match", "*")
        .header("if-match", "W/\"stale\"")
        .header("content-type", "application/scim+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "`*` in either line matches");

    let response = stack
        .http
        .get(&url)
        .bearer_auth(SCIM_TOKEN)
        .header(
            "if-none-match",
            reqwest::header::HeaderValue::from_bytes(b"\"\xe9\"").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn demo_binds_loopback_whatever_server_listen_says() {
    // The container image sets ZOOM_SCIM_SERVER__LISTEN=0.0.0.0:8080 for `serve`.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoom-scim"))
        .args(["demo", "--simulator-listen", "127.0.0.1:0", "--users", "3"])
        .env("ZOOM_SCIM_SERVER__LISTEN", "0.0.0.0:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        use tokio::io::AsyncBufReadExt;
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.unwrap_or(0) == 0 {
                return None;
            }
            seen.push_str(&line);
            if let Some(url) = line.trim().strip_prefix("SCIM base URL:") {
                return Some(url.trim().to_owned());
            }
        }
    })
    .await
    .expect("demo answers within 30 s");
    match found {
        // Bound: on loopback port 8080, not on the variable's address.
        Some(url) => assert_eq!(url, "http://127.0.0.1:8080/scim/v2", "{seen}"),
        // Port 8080 taken on this machine: the attempt names the loopback address.
        None => {
            let output = child.wait_with_output().await.unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("cannot listen on 127.0.0.1:8080"),
                "{seen}{stderr}"
            );
        }
    }
}

fn server_config(change: impl FnOnce(&mut zoom_scim::http::ServerConfig)) -> Config {
    let mut config = Config::default();
    change(&mut config.server);
    config
}

/// A client that opens a new connection for every request.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Reads from `stream` until the server closes it; `None` if it stays open `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn health_answers_while_the_connection_cap_is_reached() {
    let config = server_config(|s| {
        s.max_connections = 4;
        s.header_read_timeout_s = 60;
    });
    let stack = start_stack(sim_settings(3), config).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(stack.service.addr).await.unwrap());
    }
    // Let the server accept them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let response = fresh_client()
            .get(format!("{}/healthz", origin(&stack)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "health answers at the cap");
    }
    let response = fresh_client()
        .get(format!("{}/Users", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        503,
        "the API waits for a free connection"
    );
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "503", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("server.max_connections"),
        "{body}"
    );

    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = fresh_client()
        .get(format!("{}/Users?count=1", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "served again once connections close"
    );
}

#[tokio::test]
async fn half_sent_headers_are_cut_after_the_header_timeout() {
    let stack = start_stack(
        sim_settings(3),
        server_config(|s| s.header_read_timeout_s = 1),
    )
    .await;
    let started = std::time::Instant::now();
    let mut slow = TcpStream::connect(stack.service.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(stack.service.addr).await.unwrap();
    assert!(
        read_until_closed(&mut slow, Duration::from_secs(5))
            .await
            .is_some(),
        "a half-sent head is closed"
    );
    assert!(
        read_until_closed(&mut silent, Duration::from_secs(5))
            .await
            .is_some(),
        "a silent connection is closed"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

#[tokio::test]
async fn a_body_that_never_comes_is_answered_408_and_closed() {
    let stack = start_stack(
        sim_settings(3),
        server_config(|s| s.body_read_timeout_s = 1),
    )
    .await;
    let mut stream = TcpStream::connect(stack.service.addr).await.unwrap();
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SCIM_TOKEN}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"schemas\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("answered and closed within 5 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_slow_request_gets_503_and_a_slow_write_still_finishes() {
    let mut settings = sim_settings(5);
    settings.latency_ms = 1_500;
    let stack = start_stack(settings, server_config(|s| s.request_timeout_s = 1)).await;
    let started = std::time::Instant::now();
    let answer = stack.scim(Method::GET, "/Users?count=2", None, &[]).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(started.elapsed() < Duration::from_millis(2_900));
    assert!(answer.header("retry-after").is_some());
    assert_eq!(
        answer.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    let user = stack.sim_members("active").await.remove(0);
    let id = user["id"].as_str().unwrap();
    let patch = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Finished Anyway"}],
    });
    let answer = stack
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(patch), &[])
        .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.detail().contains("goes on"), "{}", answer.detail());
    // The write was not cut: it lands in Zoom after the answer.
    let mut title = serde_json::Value::Null;
    for _ in 0..50 {
        title = stack.sim_user(id).await.unwrap()["job_title"].clone();
        if title == "Finished Anyway" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(title, "Finished Anyway");
}

async fn readyz(http: &reqwest::Client, origin: &str) -> (u16, serde_json::Value) {
    let response = http.get(format!("{origin}/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn readiness_follows_zoom_answers_without_a_token_per_probe() {
    let stack = start_stack(sim_settings(3), Config::default()).await;
    let origin = origin(&stack);
    assert_eq!(readyz(&stack.http, &origin).await.0, 200);

    // Every API call refused with 401 although a token can be had: not ready.
    stack
        .add_fault(serde_json::json!({
            "method": "GET", "path": "/users", "count": 10, "action": "respond",
            "status": 401, "body": {"code": 124, "message": "Invalid access token SECRET-TEXT."},
        }))
        .await;
    let answer = stack.scim(Method::GET, "/Users?count=1", None, &[]).await;
    assert!(answer.status >= 400, "{}", answer.body);
    let (status, body) = readyz(&stack.http, &origin).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["detail"], "Zoom refuses the service's access tokens");
    assert!(!body.to_string().contains("SECRET-TEXT"), "{body}");

    // Credentials Zoom refuses: not ready, in fixed words, and probes within the
    // hold ask for no token each.
    let mut config = Config::default();
    config.zoom.api_base_url = stack.sim.api_base_url();
    config.zoom.token_url = stack.sim.token_url();
    config.zoom.account_id = "acct".into();
    config.zoom.client_id = "wrong-client".into();
    config.zoom.client_secret = Some(zoom_scim::secret::Secret::new("wrong-secret"));
    config.auth.tokens = vec![zoom_scim::secret::Secret::new(SCIM_TOKEN)];
    let store_dir = tempfile::tempdir().expect("store dir");
    config.store.url = crate::support::sqlite_url(&store_dir);
    let refused = zoom_scim::app::Service::start(config, crate::support::free_listener().await)
        .await
        .unwrap();
    let refused_origin = format!("http://{}", refused.addr);
    stack.reset_sim_stats().await;
    for _ in 0..5 {
        let (status, body) = readyz(&stack.http, &refused_origin).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(
            body["detail"],
            "Zoom refuses the service's OAuth credentials (zoom.account_id, zoom.client_id, zoom.client_secret)"
        );
        assert!(!body.to_string().contains("Invalid client"), "{body}");
    }
    let stats = stack.sim_admin("stats").await;
    assert_eq!(stats["token_requests"], 1, "{stats}");
    refused.abort();
}

/// The real binary's `serve` against `sim`, with its log lines sent to a channel.
struct Served {
    child: tokio::process::Child,
    /// Its store (a SQLite file), removed with it.
    _store: tempfile::TempDir,
    scim_base: String,
    log: tokio::sync::mpsc::UnboundedReceiver<String>,
}

async fn serve_binary(sim: &zoom_scim::simulator::SimHandle, env: &[(&str, &str)]) -> Served {
    use tokio::io::AsyncBufReadExt;
    let creds = zoom_scim::simulator::SimCredentials::default();
    let store = tempfile::tempdir().expect("store directory");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoom-scim"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "ZOOM_SCIM_STORE__URL",
            crate::support::sqlite_url(&store).expose(),
        )
        .env("ZOOM_SCIM_ZOOM__API_BASE_URL", sim.api_base_url())
        .env("ZOOM_SCIM_ZOOM__TOKEN_URL", sim.token_url())
        .env("ZOOM_SCIM_ZOOM__ACCOUNT_ID", &creds.account_id)
        .env("ZOOM_SCIM_ZOOM__CLIENT_ID", &creds.client_id)
        .env("ZOOM_SCIM_ZOOM__CLIENT_SECRET", &creds.client_secret)
        .env("ZOOM_SCIM_ZOOM__RATE_SCALE", "0")
        .env("ZOOM_SCIM_AUTH__TOKENS", SCIM_TOKEN)
        .env("ZOOM_SCIM_LOG__FORMAT", "human")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("zoom-scim starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, mut log) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let scim_base = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = log.recv().await.expect("serve exited early");
            if let Some((_, rest)) = line.split_once("scim_base=") {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
    })
    .await
    .expect("serving within 30 s");
    Served {
        child,
        _store: store,
        scim_base,
        log,
    }
}

#[tokio::test]
async fn a_zoom_refusal_is_logged_once_with_zooms_detail() {
    let sim = crate::support::start_simulator(sim_settings(3)).await;
    let mut served = serve_binary(&sim, &[]).await;
    let response = reqwest::Client::new()
        .get(format!("{}/Users/nosuchuser42", served.scim_base))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("rid="),
        "no tracking id for the client: {body}"
    );
    sigterm(&served.child);
    let status = tokio::time::timeout(Duration::from_secs(10), served.child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut log = Vec::new();
    while let Ok(line) = served.log.try_recv() {
        log.push(line);
    }
    let refused: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("Zoom refused: read user nosuchuser42."))
        .collect();
    assert_eq!(refused.len(), 1, "{log:#?}");
    let line = refused[0];
    for field in [
        "WARN",
        "zoom_status=Some(404)",
        "zoom_code=Some(",
        "tracking_id=Some(\"v=2.0;",
        "kind=NotFound",
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
}

fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

fn new_user(name: &str) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@example.com"),
        "name": {"givenName": "Burst", "familyName": name},
    })
}

#[tokio::test]
async fn sigterm_during_a_burst_finishes_every_answered_write_and_exits_0() {
    let mut settings = sim_settings(5);
    settings.latency_ms = 150;
    let sim = crate::support::start_simulator(settings).await;
    let mut served = serve_binary(&sim, &[("ZOOM_SCIM_SCIM__CREATE_ACTION", "autoCreate")]).await;
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let base = served.scim_base.clone();
        let answered = answered.clone();
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 0..1000 {
                let name = format!("burst-{worker}-{n}");
                let sent = http
                    .post(format!("{base}/Users"))
                    .bearer_auth(SCIM_TOKEN)
                    .header("content-type", "application/scim+json")
                    .body(new_user(&name).to_string())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        answered.lock().unwrap().push(format!("{name}@example.com"));
                    }
                    // Refused (not listening any more) or cut: the burst ends here.
                    _ => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = answered.lock().unwrap().len();
    sigterm(&served.child);
    let status = tokio::time::timeout(Duration::from_secs(40), served.child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    for worker in workers {
        worker.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(before > 0 && answered.len() >= before, "the burst ran");
    let state: serde_json::Value = reqwest::get(format!("{}/state", sim.admin_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let in_zoom: std::collections::HashSet<&str> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    for email in &answered {
        assert!(
            in_zoom.contains(email.as_str()),
            "{email} answered 2xx but is not in Zoom"
        );
    }
    let mut log = Vec::new();
    while let Ok(line) = served.log.try_recv() {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(log.contains("Stopped accepting"), "{log}");
    assert!(
        log.contains("Every request and write under way finished."),
        "{log}"
    );
}

#[tokio::test]
async fn a_write_cut_by_the_grace_period_is_logged_with_what_it_applied() {
    let mut settings = sim_settings(5);
    settings.latency_ms = 4_000;
    let sim = crate::support::start_simulator(settings).await;
    let mut served = serve_binary(
        &sim,
        &[
            ("ZOOM_SCIM_SERVER__SHUTDOWN_GRACE_S", "1"),
            ("ZOOM_SCIM_SCIM__CREATE_ACTION", "autoCreate"),
        ],
    )
    .await;
    let base = served.scim_base.clone();
    let write = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/Users"))
            .bearer_auth(SCIM_TOKEN)
            .header("content-type", "application/scim+json")
            .body(new_user("slow-one").to_string())
            .send()
            .await
    });
    // Cut while Zoom holds the create.
    let stats = format!("{}/stats", sim.admin_url());
    for _ in 0..100 {
        let stats: serde_json::Value = reqwest::get(&stats).await.unwrap().json().await.unwrap();
        if stats["requests"]["POST /users"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sigterm(&served.child);
    let status = tokio::time::timeout(Duration::from_secs(10), served.child.wait())
        .await
        .expect("exits after the grace period")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(write.await.unwrap().is_err(), "the cut write got no answer");
    let mut log = Vec::new();
    while let Ok(line) = served.log.try_recv() {
        log.push(line);
    }
    let log = log.join("\n");
    let cut = log
        .lines()
        .find(|l| l.contains("Write cut by the shutdown"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(cut.contains("route=/scim/v2/Users"), "{cut}");
    let steps = log
        .lines()
        .find(|l| l.contains("The cut write's steps applied in Zoom"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        steps.contains("create user slow-one@example.com"),
        "{steps}"
    );
    assert!(steps.contains("applied=[]"), "{steps}");
}

/// Sends `request` raw and returns the status line and the body.
async fn raw(stack: &Stack, request: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(stack.service.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("answered and closed");
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get_with(path: &str, extra_header: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {SCIM_TOKEN}\r\n"
    )
    .into_bytes();
    request.extend_from_slice(extra_header);
    request.extend_from_slice(b"\r\n");
    request
}

#[tokio::test]
async fn requests_that_reach_the_service_get_scim_bodies_and_hyper_answers_the_rest() {
    let stack = start_stack(sim_settings(3), Config::default()).await;
    let scim_body = |body: &str| body.contains("urn:ietf:params:scim:api:messages:2.0:Error");
    // Reaches the service: a SCIM error body.
    let long = format!("/scim/v2/Users?filter={}", "a".repeat(20_000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("20 KB request target", get_with(&long, b""), "414"),
        (
            "Authorization not UTF-8",
            b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \xff\xfe\r\n\r\n".to_vec(),
            "401",
        ),
        (
            "Content-Type not UTF-8",
            [
                &b"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "[..],
                SCIM_TOKEN.as_bytes(),
                b"\r\nContent-Type: \xc3\x28\r\nContent-Length: 2\r\n\r\n{}",
            ]
            .concat(),
            "415",
        ),
        ("id not UTF-8", get_with("/scim/v2/Users/%ff%fe", b""), "400"),
        (
            "broken chunked body",
            [
                &b"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "[..],
                SCIM_TOKEN.as_bytes(),
                b"\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            ]
            .concat(),
            "400",
        ),
        ("query not UTF-8", get_with("/scim/v2/Users?filter=%ff", b""), "400"),
    ];
    for (what, request, status) in cases {
        let (line, body) = raw(&stack, &request).await;
        assert!(
            line.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {line}"
        );
        assert!(scim_body(&body), "{what}: {body}");
    }
    // Refused by hyper before any handler: its bare status (docs/limits.md).
    let huge = format!("/scim/v2/Users?filter={}", "a".repeat(70_000));
    let (line, body) = raw(&stack, &get_with(&huge, b"")).await;
    assert!(line.starts_with("HTTP/1.1 414"), "{line}");
    assert!(body.is_empty(), "{body}");
    let (line, body) = raw(&stack, &get_with("/scim/v2/Users", b"X-Nul: a\0b\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 400"), "{line}");
    assert!(body.is_empty(), "{body}");
}
