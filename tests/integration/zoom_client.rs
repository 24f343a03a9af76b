//! Black-box tests of `zoom::ZoomClient` over HTTP against a scripted mock of Zoom (an
//! axum server on port 0): OAuth caching and invalidation, 429s, 5xx and dropped
//! connections, lost answers of non-idempotent calls, page-token expiry, and secrets in
//! logs.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::TryStreamExt;
use serde_json::{Value, json};
use zoom_scim::zoom::model::CreateAction;
use zoom_scim::zoom::model::{CreateUser, CreateUserInfo, DeleteUser, ListUsersQuery};
use zoom_scim::zoom::{AuthFailure, ErrorKind, ZoomClient};
use zoom_scim::zoom::{Plan, ZoomConfig};

use crate::support::free_listener;

const CLIENT_ID: &str = "test-client-id";
const CLIENT_SECRET: &str = "s3cr3t-client-value-4711";
const ACCOUNT_ID: &str = "acc-123";

/// What the mock does with one scripted request.
enum Act {
    /// Answer with this status, headers and body without touching state.
    Reply(u16, Vec<(&'static str, String)>, String),
    /// Apply the request to the state, then answer with this status and body instead.
    ApplyThenReply(u16, String),
    /// Apply the request, then hold the answer longer than the client waits.
    ApplyThenStall(Duration),
}

/// A scripted answer for the next request matching `method` and `path_prefix`.
struct Step {
    method: &'static str,
    path_prefix: &'static str,
    act: Act,
}

#[derive(Default)]
struct Mock {
    token_requests: AtomicU32,
    token_delay_ms: AtomicU32,
    /// Lifetime of issued tokens, seconds.
    token_ttl_s: AtomicU32,
    /// A scripted failure of the token endpoint.
    token_failure: Mutex<Option<(u16, String)>>,
    /// Valid tokens and when the mock stops accepting them.
    tokens: Mutex<HashMap<String, Instant>>,
    /// Every token ever issued (to look for them in logs).
    issued: Mutex<Vec<String>>,
    /// Answer every API call with 401/124.
    reject_all_tokens: AtomicBool,
    rejected_124: AtomicU32,
    /// `METHOD /path?query` of every API request that passed authentication.
    requests: Mutex<Vec<String>>,
    /// When each of those arrived.
    request_times: Mutex<Vec<Instant>>,
    script: Mutex<VecDeque<Step>>,
    users: Mutex<Vec<Value>>,
    next_id: AtomicUsize,
    /// Page tokens embed this generation; bumping it expires every token handed out.
    page_generation: AtomicU32,
    page_delay_ms: AtomicU32,
    group_members: Mutex<Vec<String>>,
}

impl Mock {
    fn new() -> Arc<Self> {
        let mock = Self::default();
        mock.token_ttl_s.store(3600, Ordering::SeqCst);
        Arc::new(mock)
    }

    fn script(&self, method: &'static str, path_prefix: &'static str, act: Act) {
        self.script.lock().unwrap().push_back(Step {
            method,
            path_prefix,
            act,
        });
    }

    fn add_user(&self, email: &str, status: &str) -> String {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        let id = format!("id{n:04}&x");
        self.users.lock().unwrap().push(json!({
            "id": id, "email": email, "first_name": "F", "last_name": format!("L{n}"),
            "type": 1, "status": status,
            "user_created_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }));
        id
    }

    fn requests_matching(&self, prefix: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }
}

fn zoom_error(status: u16, code: i64, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        json!({ "code": code, "message": message }).to_string(),
    )
        .into_response()
}

fn reply(status: u16, headers: &[(&'static str, String)], body: String) -> Response {
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

async fn handle(
    State(mock): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if path == "/oauth/token" {
        return token_endpoint(&mock, &headers, &body).await;
    }
    let Some(api_path) = path.strip_prefix("/v2") else {
        return zoom_error(404, 404, "no such path");
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    let valid = !mock.reject_all_tokens.load(Ordering::SeqCst)
        && mock
            .tokens
            .lock()
            .unwrap()
            .get(&bearer)
            .is_some_and(|expiry| Instant::now() < *expiry);
    if !valid {
        mock.rejected_124.fetch_add(1, Ordering::SeqCst);
        return zoom_error(401, 124, "Invalid access token.");
    }
    let line = match uri.query() {
        Some(q) => format!("{method} {api_path}?{q}"),
        None => format!("{method} {api_path}"),
    };
    mock.requests.lock().unwrap().push(line);
    mock.request_times.lock().unwrap().push(Instant::now());
    let step = {
        let mut script = mock.script.lock().unwrap();
        match script.front() {
            Some(step)
                if step.method == method.as_str() && api_path.starts_with(step.path_prefix) =>
            {
                script.pop_front()
            }
            _ => None,
        }
    };
    match step.map(|s| s.act) {
        None => route(&mock, &method, api_path, uri.query(), &body).await,
        Some(Act::Reply(status, headers, body)) => reply(status, &headers, body),
        Some(Act::ApplyThenReply(status, answer)) => {
            let _ = route(&mock, &method, api_path, uri.query(), &body).await;
            reply(status, &[("content-type", "text/html".to_owned())], answer)
        }
        Some(Act::ApplyThenStall(wait)) => {
            let applied = route(&mock, &method, api_path, uri.query(), &body).await;
            tokio::time::sleep(wait).await;
            applied
        }
    }
}

async fn token_endpoint(mock: &Mock, headers: &HeaderMap, body: &[u8]) -> Response {
    mock.token_requests.fetch_add(1, Ordering::SeqCst);
    let delay = mock.token_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay.into())).await;
    }
    if let Some((status, body)) = mock.token_failure.lock().unwrap().clone() {
        return reply(
            status,
            &[("content-type", "application/json".to_owned())],
            body,
        );
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let form = String::from_utf8_lossy(body);
    let auth_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&expected);
    if !auth_ok {
        return reply(
            400,
            &[],
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
                .to_string(),
        );
    }
    if !form.contains("grant_type=account_credentials")
        || !form.contains(&format!("account_id={ACCOUNT_ID}"))
    {
        return reply(
            400,
            &[],
            json!({"reason": "Account does not exist", "error": "invalid_request"}).to_string(),
        );
    }
    let n = mock.issued.lock().unwrap().len();
    let token = format!("eyJ.mock-access-token-{n}-{}", rand::random::<u64>());
    let ttl = mock.token_ttl_s.load(Ordering::SeqCst);
    mock.issued.lock().unwrap().push(token.clone());
    mock.tokens.lock().unwrap().insert(
        token.clone(),
        Instant::now() + Duration::from_secs(ttl.into()),
    );
    axum::Json(json!({
        "access_token": token, "token_type": "bearer", "expires_in": ttl,
        "scope": "user:read:admin user:write:admin"
    }))
    .into_response()
}

/// The mock's default behaviour: a few users and group endpoints with Zoom's shapes.
async fn route(
    mock: &Mock,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let params: HashMap<String, String> = query.map(url_pairs).unwrap_or_default();
    match (
        method.as_str(),
        segments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
    ) {
        ("GET", ["users"]) => {
            let delay = mock.page_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay.into())).await;
            }
            let size: usize = params
                .get("page_size")
                .and_then(|s| s.parse().ok())
                .unwrap_or(30);
            let generation = mock.page_generation.load(Ordering::SeqCst);
            let start = match params.get("next_page_token") {
                None => 0,
                Some(token) => match token.split_once(':') {
                    Some((offset, g)) if g == generation.to_string() => offset.parse().unwrap_or(0),
                    _ => return zoom_error(400, 300, "The next page token is invalid or expired."),
                },
            };
            let users = mock.users.lock().unwrap().clone();
            let end = (start + size).min(users.len());
            let next = if end < users.len() {
                format!("{end}:{generation}")
            } else {
                String::new()
            };
            axum::Json(json!({
                "page_size": size, "total_records": users.len(), "next_page_token": next,
                "users": users[start..end]
            }))
            .into_response()
        }
        ("GET", ["users", who]) => {
            let users = mock.users.lock().unwrap();
            match users.iter().find(|u| {
                u["id"] == *who
                    || u["email"]
                        .as_str()
                        .is_some_and(|e| e.eq_ignore_ascii_case(who))
            }) {
                Some(user) => axum::Json(user.clone()).into_response(),
                None => zoom_error(404, 1001, &format!("User does not exist: {who}.")),
            }
        }
        ("POST", ["users"]) => {
            let request: Value = serde_json::from_slice(body).unwrap_or_default();
            let email = request["user_info"]["email"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            if mock.users.lock().unwrap().iter().any(|u| {
                u["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            }) {
                return zoom_error(
                    409,
                    1005,
                    &format!("Email \"{email}\" has already been used."),
                );
            }
            let id = mock.add_user(&email, "pending");
            (
                StatusCode::CREATED,
                axum::Json(json!({"id": id, "email": email, "first_name": "F", "last_name": "L", "type": 1})),
            )
                .into_response()
        }
        ("DELETE", ["users", who]) => {
            let mut users = mock.users.lock().unwrap();
            let before = users.len();
            users.retain(|u| u["id"] != *who);
            if users.len() < before {
                StatusCode::NO_CONTENT.into_response()
            } else {
                zoom_error(404, 1001, &format!("User does not exist: {who}."))
            }
        }
        ("POST", ["groups", _, "members"]) => {
            let request: Value = serde_json::from_slice(body).unwrap_or_default();
            let ids: Vec<String> = request["members"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|x| x["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if ids.len() > 30 {
                return zoom_error(400, 300, "Validation Failed.");
            }
            mock.group_members
                .lock()
                .unwrap()
                .extend(ids.iter().cloned());
            (
                StatusCode::CREATED,
                axum::Json(json!({"added_at": "2026-02-07T10:00:00Z", "ids": ids.join(",")})),
            )
                .into_response()
        }
        _ => zoom_error(404, 404, "not mocked"),
    }
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode_segment(k), decode_segment(&v.replace('+', " "))))
        .collect()
}

/// Starts the mock; returns it and its address.
async fn start_mock() -> (Arc<Mock>, std::net::SocketAddr) {
    let mock = Mock::new();
    let listener = free_listener().await;
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .fallback(handle)
        .with_state(mock.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (mock, addr)
}

/// A client configuration for tests: short timeouts and backoff.
fn config_for(api: std::net::SocketAddr, token: std::net::SocketAddr) -> ZoomConfig {
    ZoomConfig {
        api_base_url: format!("http://{api}/v2"),
        token_url: format!("http://{token}/oauth/token"),
        account_id: ACCOUNT_ID.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: Some(CLIENT_SECRET.into()),
        plan: Plan::Business,
        budget_share: 0.8,
        connect_timeout_ms: 1_000,
        request_timeout_ms: 2_000,
        io_error_retries: 3,
        retry_deadline_s: 20,
        retry_base_ms: 10,
        retry_max_ms: 50,
        token_refresh_margin_s: 60,
        page_size: 300,
        max_concurrency: 64,
        ..ZoomConfig::default()
    }
}

fn client_for(addr: std::net::SocketAddr) -> ZoomClient {
    ZoomClient::new(&config_for(addr, addr)).unwrap()
}

fn new_user(email: &str) -> CreateUser {
    CreateUser {
        action: CreateAction::Create,
        user_info: CreateUserInfo {
            email: email.to_owned(),
            user_type: 1,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            ..CreateUserInfo::default()
        },
    }
}

#[tokio::test]
async fn token_expiry_in_the_middle_of_a_long_listing_is_invisible() {
    let (mock, addr) = start_mock().await;
    // Tokens live 1 s; pages take 300 ms each; 4 pages outlive the first token.
    mock.token_ttl_s.store(1, Ordering::SeqCst);
    mock.page_delay_ms.store(300, Ordering::SeqCst);
    for i in 0..12 {
        mock.add_user(&format!("user{i}@example.com"), "active");
    }
    let client = client_for(addr);
    let query = ListUsersQuery {
        page_size: Some(3),
        ..ListUsersQuery::default()
    };
    let users: Vec<_> = client.list_users(query).try_collect().await.unwrap();
    assert_eq!(users.len(), 12);
    assert!(
        mock.token_requests.load(Ordering::SeqCst) >= 2,
        "the token was refreshed ahead of expiry"
    );
    assert_eq!(
        mock.rejected_124.load(Ordering::SeqCst),
        0,
        "no call ever used an expired token"
    );
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_replayed() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    let client = client_for(addr);
    client.get_user(&id).await.unwrap();
    // Another instance of the app fetched a token: Zoom invalidated ours.
    mock.tokens.lock().unwrap().clear();
    let user = client.get_user("ADA@example.com").await.unwrap();
    assert_eq!(user.id.as_deref(), Some(id.as_str()));
    assert_eq!(mock.token_requests.load(Ordering::SeqCst), 2);
    assert_eq!(mock.rejected_124.load(Ordering::SeqCst), 1);

    // A token rejected again right after a refresh is an error, not a loop.
    mock.reject_all_tokens.store(true, Ordering::SeqCst);
    let err = client.get_user(&id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth(AuthFailure::TokenRejected));
    assert_eq!(mock.rejected_124.load(Ordering::SeqCst), 3);
    assert_eq!(mock.token_requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn fifty_concurrent_callers_trigger_exactly_one_token_request() {
    let (mock, addr) = start_mock().await;
    mock.token_delay_ms.store(200, Ordering::SeqCst);
    let id = mock.add_user("ada@example.com", "active");
    let client = client_for(addr);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            let id = id.clone();
            tokio::spawn(async move { client.get_user(&id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(mock.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(mock.requests_matching("GET /users/"), 50);
}

#[tokio::test]
async fn token_endpoint_refusals_are_clear_errors_not_loops() {
    let (mock, addr) = start_mock().await;
    // Wrong secret: the mock refuses like Zoom does.
    let mut config = config_for(addr, addr);
    config.client_secret = Some("wrong-secret".into());
    let err = ZoomClient::new(&config)
        .unwrap()
        .check_token()
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth(AuthFailure::InvalidClient));
    assert!(
        err.to_string()
            .contains("Invalid client_id or client_secret")
    );
    // Unknown account.
    let mut config = config_for(addr, addr);
    config.account_id = "nope".into();
    let err = ZoomClient::new(&config)
        .unwrap()
        .check_token()
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth(AuthFailure::UnknownAccount));
    // Disabled app.
    *mock.token_failure.lock().unwrap() = Some((
        400,
        json!({"code": 4717, "message": "The app has been disabled."}).to_string(),
    ));
    let before = mock.token_requests.load(Ordering::SeqCst);
    let client = client_for(addr);
    let err = client.get_user("x").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth(AuthFailure::AppDisabled));
    assert_eq!(
        mock.token_requests.load(Ordering::SeqCst),
        before + 1,
        "refusals are not retried"
    );
    assert!(
        mock.requests.lock().unwrap().is_empty(),
        "no API call without a token"
    );
}

#[tokio::test]
async fn per_second_429s_are_retried_after_retry_after() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    let qps = || {
        Act::Reply(
            429,
            vec![
                ("x-ratelimit-type", "QPS".to_owned()),
                ("x-ratelimit-category", "Light".to_owned()),
                ("retry-after", "1".to_owned()),
            ],
            json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."}).to_string(),
        )
    };
    mock.script("GET", "/users/", qps());
    mock.script("GET", "/users/", qps());
    let client = client_for(addr);
    let started = Instant::now();
    let user = client.get_user(&id).await.unwrap();
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(mock.requests_matching("GET /users/"), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1 was honoured twice"
    );

    // Without Retry-After the client backs off on its own and still gets through.
    for _ in 0..3 {
        mock.script(
            "GET",
            "/users/",
            Act::Reply(
                429,
                vec![("x-ratelimit-type", "QPS".to_owned())],
                "{}".into(),
            ),
        );
    }
    client.get_user(&id).await.unwrap();
    assert_eq!(mock.requests_matching("GET /users/"), 7);
}

#[tokio::test]
async fn a_daily_limit_fails_fast_with_the_reset_time() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    mock.script(
        "GET",
        "/users/",
        Act::Reply(
            429,
            vec![
                ("x-ratelimit-type", "Daily-limit".to_owned()),
                ("x-ratelimit-category", "Light".to_owned()),
                ("retry-after", "2099-01-01T00:00:00Z".to_owned()),
            ],
            json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API."}).to_string(),
        ),
    );
    let client = client_for(addr);
    let err = client.get_user(&id).await.unwrap_err();
    assert!(err.is_daily_limit());
    assert_eq!(
        err.retry_at.unwrap().to_rfc3339(),
        "2099-01-01T00:00:00+00:00"
    );
    assert_eq!(mock.requests_matching("GET /users/"), 1, "not retried");
    // The next Light call fails without reaching Zoom...
    let again = client.get_user(&id).await.unwrap_err();
    assert!(again.is_daily_limit());
    assert_eq!(again.retry_at, err.retry_at);
    assert_eq!(mock.requests_matching("GET /users/"), 1);
    // ...while other categories (GET /users is Medium) still work.
    let page = client
        .list_users_page(&ListUsersQuery::default(), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_unavailable() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    let bad_gateway = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
    // Two failures, then Zoom recovers.
    mock.script(
        "GET",
        "/users/",
        Act::Reply(503, vec![], "Service Unavailable".into()),
    );
    mock.script(
        "GET",
        "/users/",
        Act::Reply(502, vec![], bad_gateway.into()),
    );
    let client = client_for(addr);
    client.get_user(&id).await.unwrap();
    assert_eq!(mock.requests_matching("GET /users/"), 3);

    // Zoom stays down: 1 + io_error_retries (3) attempts, then Unavailable.
    for _ in 0..10 {
        mock.script(
            "GET",
            "/users/",
            Act::Reply(
                502,
                vec![("content-type", "text/html".into())],
                bad_gateway.into(),
            ),
        );
    }
    let err = client.get_user(&id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unavailable);
    assert_eq!(err.status, Some(502));
    assert_eq!(err.attempts, 4);
    assert_eq!(mock.requests_matching("GET /users/"), 7);
    assert!(
        err.message.starts_with("502 Bad Gateway"),
        "{}",
        err.message
    );
    assert!(!err.to_string().contains('<'));
}

#[tokio::test]
async fn dropped_connections_are_retried_up_to_the_limit_then_unavailable() {
    let (_mock, token_addr) = start_mock().await;
    // An "API" that accepts connections and hangs up without answering.
    let listener = free_listener().await;
    let api_addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU32::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let client = ZoomClient::new(&config_for(api_addr, token_addr)).unwrap();
    let started = Instant::now();
    let err = client.get_user("someone@example.com").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unavailable);
    assert_eq!(err.attempts, 4);
    assert!(err.outcome_unknown);
    assert!(accepted.load(Ordering::SeqCst) >= 4);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_lost_create_user_answer_does_not_create_a_duplicate() {
    let (mock, addr) = start_mock().await;
    let mut config = config_for(addr, addr);
    config.request_timeout_ms = 500;
    let client = ZoomClient::new(&config).unwrap();

    // Zoom creates the user, but the answer never arrives (client timeout).
    mock.script(
        "POST",
        "/users",
        Act::ApplyThenStall(Duration::from_secs(3)),
    );
    let created = client
        .create_user(&new_user("ada@example.com"))
        .await
        .unwrap();
    let users = mock.users.lock().unwrap().clone();
    assert_eq!(users.len(), 1);
    assert_eq!(created.id.as_deref(), users[0]["id"].as_str());
    assert_eq!(
        mock.requests_matching("POST /users"),
        1,
        "the POST was not replayed"
    );

    // Zoom creates the user, then a proxy answers 502.
    mock.script(
        "POST",
        "/users",
        Act::ApplyThenReply(502, "<html>Bad Gateway</html>".into()),
    );
    let created = client
        .create_user(&new_user("bob@example.com"))
        .await
        .unwrap();
    assert_eq!(mock.users.lock().unwrap().len(), 2);
    assert_eq!(created.email, "bob@example.com");
    assert_eq!(mock.requests_matching("POST /users"), 2);

    // Zoom fails before creating: the lookup finds nothing, so the POST is replayed.
    mock.script("POST", "/users", Act::Reply(503, vec![], "down".into()));
    let created = client
        .create_user(&new_user("cy@example.com"))
        .await
        .unwrap();
    assert!(created.id.is_some());
    assert_eq!(mock.requests_matching("POST /users"), 4);
    assert_eq!(mock.users.lock().unwrap().len(), 3);

    // A real duplicate is reported as such.
    let err = client
        .create_user(&new_user("ADA@example.com"))
        .await
        .unwrap_err();
    assert!(err.is_duplicate());
    assert_eq!(err.code, Some(1005));

    // An account made long ago, and a create that fails before reaching Zoom: the
    // look-up finds the old account, which is not this call's; the replay meets 409.
    let old = mock.add_user("dan@example.com", "inactive");
    mock.users
        .lock()
        .unwrap()
        .iter_mut()
        .find(|u| u["id"] == old)
        .unwrap()["user_created_at"] = json!("2021-01-10T22:01:07Z");
    mock.script("POST", "/users", Act::Reply(503, vec![], "down".into()));
    let err = client
        .create_user(&new_user("dan@example.com"))
        .await
        .unwrap_err();
    assert!(err.is_duplicate(), "{err:?}");
    assert_eq!(mock.users.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_is_not_reported_as_not_found() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    mock.script(
        "DELETE",
        "/users/",
        Act::ApplyThenReply(502, "Bad Gateway".into()),
    );
    let client = client_for(addr);
    client
        .delete_user(&id, &DeleteUser::default())
        .await
        .unwrap();
    assert!(mock.users.lock().unwrap().is_empty());
    // Deleting an unknown user is still NotFound.
    let err = client
        .delete_user(&id, &DeleteUser::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn next_page_token_expiry_mid_listing_loses_and_repeats_nothing() {
    let (mock, addr) = start_mock().await;
    let mut expected = Vec::new();
    for i in 0..10 {
        expected.push(mock.add_user(&format!("user{i}@example.com"), "active"));
    }
    let client = client_for(addr);
    let query = ListUsersQuery {
        page_size: Some(3),
        ..ListUsersQuery::default()
    };
    let mut stream = client.list_users(query);
    let mut got = Vec::new();
    while let Some(user) = stream.try_next().await.unwrap() {
        got.push(user.id.unwrap());
        if got.len() == 4 {
            // The consumer was slow: every page token handed out so far expires.
            mock.page_generation.fetch_add(1, Ordering::SeqCst);
        }
    }
    assert_eq!(got, expected);
    let listings = mock.requests_matching("GET /users?");
    let first_pages = mock
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("GET /users?") && !r.contains("next_page_token"))
        .count();
    assert_eq!(first_pages, 2, "restarted from the first page once");
    assert!(listings >= 6);
}

#[tokio::test]
async fn ids_and_emails_are_percent_encoded_in_paths() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("a+b@example.com", "active");
    assert!(id.contains('&'));
    let client = client_for(addr);
    assert_eq!(
        client.get_user("a+b@example.com").await.unwrap().id,
        Some(id.clone())
    );
    assert_eq!(client.get_user(&id).await.unwrap().email, "a+b@example.com");
    let requests = mock.requests.lock().unwrap().clone();
    assert!(
        requests.contains(&"GET /users/a%2Bb%40example.com".to_owned()),
        "{requests:?}"
    );
    assert!(requests.iter().any(|r| r.contains("%26x")), "{requests:?}");
}

#[tokio::test]
async fn adding_many_members_goes_in_batches_of_thirty_and_reports_partial_failure() {
    let (mock, addr) = start_mock().await;
    let client = client_for(addr);
    let ids: Vec<String> = (0..75).map(|i| format!("u{i}")).collect();
    let added = client.add_group_members("g1", &ids).await.unwrap();
    assert_eq!(added.ids, ids);
    assert_eq!(mock.requests_matching("POST /groups/g1/members"), 3);

    mock.group_members.lock().unwrap().clear();
    mock.script(
        "POST",
        "/groups/g1/members",
        Act::ApplyThenReply(201, json!({"added_at": "x", "ids": ""}).to_string()),
    );
    mock.script(
        "POST",
        "/groups/g1/members",
        Act::Reply(
            404,
            vec![],
            json!({"code": 4130, "message": "A group with this g1 does not exist."}).to_string(),
        ),
    );
    let err = client.add_group_members("g1", &ids).await.unwrap_err();
    assert!(err.is_not_found());
    let partial = err.partial.clone().unwrap();
    assert_eq!(partial.succeeded, ids[..30]);
    assert_eq!(partial.failed, ids[30..60]);
    assert_eq!(partial.not_attempted, ids[60..]);
    assert_eq!(*mock.group_members.lock().unwrap(), ids[..30]);
}

#[tokio::test]
async fn concurrent_callers_are_paced_under_the_plan_limit() {
    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    let mut config = config_for(addr, addr);
    // Pro, Light: Zoom allows 30/s; at a 0.8 share the client paces at 24/s, bursts of 6.
    config.plan = Plan::Pro;
    let client = ZoomClient::new(&config).unwrap();
    client.check_token().await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let client = client.clone();
            let id = id.clone();
            tokio::spawn(async move { client.get_user(&id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let times = mock.request_times.lock().unwrap().clone();
    assert_eq!(times.len(), 60);
    let mut most_in_a_second = 0;
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        most_in_a_second = most_in_a_second.max(in_window);
    }
    assert!(
        most_in_a_second <= 30,
        "{most_in_a_second} requests in one second"
    );
    // (60 - 6) / 24 = 2.25 s.
    assert!((2.1..3.5).contains(&elapsed), "took {elapsed:.2}s");
}

#[tokio::test]
async fn phone_calls_use_zooms_shapes_and_check_before_replaying() {
    let (mock, addr) = start_mock().await;
    let client = client_for(addr);
    let page = |token: &str, ids: &[&str]| {
        let users: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "email": format!("{id}@example.com"), "extension_number": 1000, "calling_plans": [{"type": 200, "name": "US/CA Unlimited"}], "site": {"id": "s1", "name": "Main"}}))
            .collect();
        Act::Reply(
            200,
            vec![],
            json!({"next_page_token": token, "page_size": 100, "total_records": 3, "users": users})
                .to_string(),
        )
    };
    mock.script("GET", "/phone/users", page("t1", &["u1", "u2"]));
    mock.script("GET", "/phone/users", page("", &["u3"]));
    let query = zoom_scim::zoom::model::ListPhoneUsersQuery {
        site_id: Some("s1".into()),
        page_size: Some(500),
        ..Default::default()
    };
    let users: Vec<_> = client.list_phone_users(query).try_collect().await.unwrap();
    assert_eq!(users.len(), 3);
    assert_eq!(users[0].calling_plans[0].plan_type, Some(200));
    let requests = mock.requests.lock().unwrap().clone();
    assert!(
        requests[0].contains("page_size=100"),
        "clamped to the phone maximum: {requests:?}"
    );
    assert!(requests[0].contains("site_id=s1"));
    assert!(requests[1].contains("next_page_token=t1"));

    // The plan assignment reached Zoom but the answer was a 503: the profile shows the
    // plan, so the POST is not sent again.
    mock.script(
        "POST",
        "/phone/users/u1/calling_plans",
        Act::Reply(503, vec![], "down".into()),
    );
    mock.script(
        "GET",
        "/phone/users/u1",
        Act::Reply(
            200,
            vec![],
            json!({"id": "u1", "calling_plans": [{"type": 200}], "phone_numbers": []}).to_string(),
        ),
    );
    client.assign_calling_plans("u1", &[200]).await.unwrap();
    assert_eq!(
        mock.requests_matching("POST /phone/users/u1/calling_plans"),
        1
    );

    mock.script(
        "POST",
        "/phone/users/u1/phone_numbers",
        Act::Reply(
            201,
            vec![],
            json!({"phone_numbers": [{"id": "n1", "number": "+15550100"}]}).to_string(),
        ),
    );
    let numbers = [zoom_scim::zoom::model::PhoneNumberRef {
        id: None,
        number: Some("+15550100".into()),
    }];
    let assigned = client.assign_phone_numbers("u1", &numbers).await.unwrap();
    assert_eq!(assigned[0].id.as_deref(), Some("n1"));

    mock.script(
        "DELETE",
        "/phone/users/u1/calling_plans/200",
        Act::Reply(204, vec![], String::new()),
    );
    client.unassign_calling_plan("u1", 200).await.unwrap();
    mock.script(
        "DELETE",
        "/phone/users/u1/phone_numbers/%2B15550100",
        Act::Reply(204, vec![], String::new()),
    );
    client
        .unassign_phone_number("u1", "+15550100")
        .await
        .unwrap();

    mock.script(
        "GET",
        "/phone/sites",
        Act::Reply(200, vec![], json!({"next_page_token": "", "sites": [{"id": "s1", "name": "Main", "site_code": "1", "level": "main"}]}).to_string()),
    );
    let sites: Vec<_> = client.list_sites().try_collect().await.unwrap();
    assert_eq!(
        (sites[0].site_code, sites[0].level.as_deref()),
        (Some(1), Some("main"))
    );
    // An unknown phone user (the mock answers 404) is NotFound.
    assert!(
        client
            .get_phone_user("nobody")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// A `Write` into a shared buffer, for capturing log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Set in the child process that runs [`trace_capture_in_a_process_of_its_own`].
const TRACE_CHILD_ENV: &str = "ZOOM_SCIM_TRACE_CAPTURE_CHILD";

/// tracing caches each callsite's interest globally. With a thread-local subscriber, a
/// callsite first reached by another test's thread can be cached as "never" (tracing-core
/// asks only that thread's default while one dispatcher is registered), and the capture
/// then misses spans. So the capture runs alone, in a child process, with a global
/// subscriber.
#[test]
fn trace_logs_never_contain_the_client_secret_or_any_access_token() {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "zoom_client::trace_capture_in_a_process_of_its_own",
            "--ignored",
            "--nocapture",
        ])
        .env(TRACE_CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the capture did not run: {stdout}"
    );
}

#[tokio::test]
#[ignore = "run by trace_logs_never_contain_the_client_secret_or_any_access_token"]
async fn trace_capture_in_a_process_of_its_own() {
    if std::env::var_os(TRACE_CHILD_ENV).is_none() {
        return;
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let (mock, addr) = start_mock().await;
    let id = mock.add_user("ada@example.com", "active");
    let client = client_for(addr);
    client.check_token().await.unwrap();
    client.get_user(&id).await.unwrap();
    // A revoked token, a refresh and a replay.
    mock.tokens.lock().unwrap().clear();
    client.get_user(&id).await.unwrap();
    // Failures: a 5xx with retries, a create, a not-found.
    mock.script("GET", "/users/", Act::Reply(500, vec![], "oops".into()));
    client.get_user(&id).await.unwrap();
    client
        .create_user(&new_user("bob@example.com"))
        .await
        .unwrap();
    assert!(
        client
            .get_user("nobody@example.com")
            .await
            .unwrap_err()
            .is_not_found()
    );
    // A refused token request with the wrong secret.
    let mut config = config_for(addr, addr);
    config.client_secret = Some(format!("{CLIENT_SECRET}-wrong").into());
    let refused = ZoomClient::new(&config)
        .unwrap()
        .check_token()
        .await
        .unwrap_err();
    tracing::error!(error = %refused, debug = ?refused, "final error");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("zoom_call"), "the capture works: {logs}");
    assert!(logs.contains("fetched a Zoom access token"));
    assert!(!logs.contains(CLIENT_SECRET), "client secret leaked");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert!(!logs.contains(&basic), "Basic credentials leaked");
    let issued = mock.issued.lock().unwrap().clone();
    assert!(issued.len() >= 2);
    for token in issued {
        assert!(!logs.contains(&token), "access token leaked");
    }
}

// ---------------------------------------------------------------------------------
// Against the Zoom simulator
// ---------------------------------------------------------------------------------

mod against_simulator {
    use std::collections::HashSet;

    use futures::TryStreamExt;
    use serde_json::{Value, json};
    use zoom_scim::simulator::AccountPlan;
    use zoom_scim::simulator::{SimCredentials, SimHandle, SimSettings};
    use zoom_scim::zoom::model::CreateAction;
    use zoom_scim::zoom::model::{
        CreateUser, CreateUserInfo, DeleteUser, GroupCreate, ListUsersQuery, StatusAction,
        UpdateUser, UserStatus,
    };
    use zoom_scim::zoom::{ErrorKind, ZoomClient};
    use zoom_scim::zoom::{Plan, ZoomConfig};

    use crate::support::start_simulator;

    fn config(sim: &SimHandle) -> ZoomConfig {
        let credentials = SimCredentials::default();
        ZoomConfig {
            api_base_url: sim.api_base_url(),
            token_url: sim.token_url(),
            account_id: credentials.account_id,
            client_id: credentials.client_id,
            client_secret: Some(credentials.client_secret.into()),
            plan: Plan::Business,
            budget_share: 0.8,
            connect_timeout_ms: 1_000,
            request_timeout_ms: 1_500,
            io_error_retries: 8,
            retry_deadline_s: 60,
            retry_base_ms: 20,
            retry_max_ms: 200,
            ..ZoomConfig::default()
        }
    }

    async fn admin(
        sim: &SimHandle,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}{path}", sim.admin_url());
        let mut request = reqwest::Client::new().request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "admin {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    async fn fault(sim: &SimHandle, spec: Value) {
        admin(sim, reqwest::Method::POST, "/faults", Some(spec)).await;
    }

    async fn state_users(sim: &SimHandle) -> Vec<Value> {
        admin(sim, reqwest::Method::GET, "/state", None).await["users"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn invite(email: &str) -> CreateUser {
        CreateUser {
            action: CreateAction::Create,
            user_info: CreateUserInfo {
                email: email.to_owned(),
                user_type: 1,
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                ..CreateUserInfo::default()
            },
        }
    }

    #[tokio::test]
    async fn listing_every_user_under_random_faults_is_complete_and_unique() {
        let sim = start_simulator(SimSettings {
            users: 400,
            fail_rate: 0.1,
            drop_rate: 0.05,
            throttle_rate: 0.05,
            ..SimSettings::default()
        })
        .await;
        // Besides the random faults, some that surely strike the listing.
        fault(
            &sim,
            json!({"method": "GET", "path": "/users", "action": "drop", "count": 2}),
        )
        .await;
        fault(
            &sim,
            json!({"method": "GET", "path": "/users", "action": "respond", "status": 502, "count": 2}),
        )
        .await;
        let mut config = config(&sim);
        config.page_size = 25;
        let client = ZoomClient::new(&config).unwrap();
        let mut listed = Vec::new();
        for status in [
            UserStatus::Active,
            UserStatus::Inactive,
            UserStatus::Pending,
        ] {
            let query = ListUsersQuery {
                status: Some(status.clone()),
                ..ListUsersQuery::default()
            };
            let users: Vec<_> = client.list_users(query).try_collect().await.unwrap();
            assert!(users.iter().all(|u| u.status.as_ref() == Some(&status)));
            listed.extend(users.into_iter().map(|u| u.email.to_lowercase()));
        }
        let expected: HashSet<String> = state_users(&sim)
            .await
            .iter()
            .filter_map(|u| u["email"].as_str().map(str::to_lowercase))
            .collect();
        let unique: HashSet<String> = listed.iter().cloned().collect();
        assert_eq!(unique.len(), listed.len(), "a user was listed twice");
        assert_eq!(unique, expected, "a user was lost");
        let stats = admin(&sim, reqwest::Method::GET, "/stats", None).await;
        assert!(
            stats["faults_injected"].as_u64().unwrap() >= 4,
            "faults really happened"
        );
    }

    #[tokio::test]
    async fn lost_create_answers_never_create_a_second_user() {
        let sim = start_simulator(SimSettings {
            users: 5,
            ..SimSettings::default()
        })
        .await;
        let client = ZoomClient::new(&config(&sim)).unwrap();
        // The user is created, the connection dropped before the answer.
        fault(
            &sim,
            json!({"method": "POST", "path": "/users", "action": "apply_then_drop"}),
        )
        .await;
        let first = client
            .create_user(&invite("one@example.com"))
            .await
            .unwrap();
        // The user is created, a gateway answers 502.
        fault(
            &sim,
            json!({"method": "POST", "path": "/users", "action": "apply_then_respond", "status": 502}),
        )
        .await;
        let second = client
            .create_user(&invite("two@example.com"))
            .await
            .unwrap();
        // Zoom hangs without creating: the lookup finds nothing and the POST is replayed.
        fault(
            &sim,
            json!({"method": "POST", "path": "/users", "action": "timeout"}),
        )
        .await;
        let third = client
            .create_user(&invite("three@example.com"))
            .await
            .unwrap();

        let users = state_users(&sim).await;
        for (created, email) in [
            (&first, "one@example.com"),
            (&second, "two@example.com"),
            (&third, "three@example.com"),
        ] {
            let matching: Vec<_> = users.iter().filter(|u| u["email"] == email).collect();
            assert_eq!(matching.len(), 1, "{email}");
            assert_eq!(created.id.as_deref(), matching[0]["id"].as_str(), "{email}");
        }
        let stats = admin(&sim, reqwest::Method::GET, "/stats", None).await;
        assert_eq!(stats["requests"]["POST /users"], 4);
    }

    #[tokio::test]
    async fn user_group_and_role_lifecycle() {
        let sim = start_simulator(SimSettings {
            users: 20,
            ..SimSettings::default()
        })
        .await;
        let client = ZoomClient::new(&config(&sim)).unwrap();

        let created = client
            .create_user(&invite("ada+zoom@example.com"))
            .await
            .unwrap();
        let id = created.id.clone().unwrap();
        let user = client.get_user("ADA+zoom@example.com").await.unwrap();
        assert!(user.is_pending());
        let err = client
            .create_user(&invite("ada+zoom@example.com"))
            .await
            .unwrap_err();
        assert!(err.is_duplicate(), "{err}");

        admin(
            &sim,
            reqwest::Method::POST,
            &format!("/users/{id}/activate"),
            None,
        )
        .await;
        let update = UpdateUser {
            dept: Some("Research".into()),
            job_title: Some("Analyst".into()),
            ..UpdateUser::default()
        };
        client.update_user(&id, &update).await.unwrap();
        let user = client.get_user(&id).await.unwrap();
        assert!(user.is_active());
        assert_eq!(user.dept.as_deref(), Some("Research"));

        client
            .set_user_status(&id, StatusAction::Deactivate)
            .await
            .unwrap();
        assert_eq!(
            client.get_user(&id).await.unwrap().status,
            Some(UserStatus::Inactive)
        );
        let err = client.update_user(&id, &update).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::InactiveUser, "{err}");
        client
            .set_user_status(&id, StatusAction::Activate)
            .await
            .unwrap();

        let GroupCreate::Created(group) = client.create_group("Analysts & Friends").await.unwrap()
        else {
            panic!("a new name is created");
        };
        let group_id = group.id.clone().unwrap();
        // A taken name (any case) is found, not sent.
        let again = client.create_group("analysts & friends").await.unwrap();
        assert!(
            matches!(&again, GroupCreate::Exists(g) if g.id == group.id),
            "{again:?}"
        );
        client
            .add_group_members(&group_id, &[id.as_str()])
            .await
            .unwrap();
        let members: Vec<_> = client
            .list_group_members(&group_id)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            members.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            vec![Some(id.clone())]
        );
        client.remove_group_member(&group_id, &id).await.unwrap();
        assert!(
            client
                .remove_group_member(&group_id, &id)
                .await
                .unwrap_err()
                .is_not_found()
        );
        client.rename_group(&group_id, "Analysts").await.unwrap();
        assert_eq!(client.get_group(&group_id).await.unwrap().name, "Analysts");
        client.delete_group(&group_id).await.unwrap();
        assert!(
            client
                .get_group(&group_id)
                .await
                .unwrap_err()
                .is_not_found()
        );

        let roles = client.list_roles().await.unwrap();
        assert!(roles.iter().any(|r| r.name == "Owner"));
        // Every role lists exactly as many members as it says it has.
        let mut listed_total = 0;
        for role in &roles {
            let members: Vec<_> = client
                .list_role_members(role.id.as_deref().unwrap())
                .try_collect()
                .await
                .unwrap();
            assert_eq!(
                Some(members.len() as i64),
                role.total_members,
                "{}",
                role.name
            );
            listed_total += members.len();
        }
        assert!(listed_total >= 20, "every user has a role");

        // A revoked token costs one new token, and the call goes through.
        admin(&sim, reqwest::Method::POST, "/tokens/revoke", None).await;
        client.get_user(&id).await.unwrap();
        let stats = admin(&sim, reqwest::Method::GET, "/stats", None).await;
        assert_eq!(stats["tokens_issued"], 2);

        client
            .delete_user(&id, &DeleteUser::default())
            .await
            .unwrap();
        assert!(client.get_user(&id).await.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn a_paced_burst_of_calls_draws_no_429_from_zooms_limits() {
        let sim = start_simulator(SimSettings {
            users: 50,
            plan: AccountPlan::Business,
            ..SimSettings::default()
        })
        .await;
        let client = ZoomClient::new(&config(&sim)).unwrap();
        let ids: Vec<String> = state_users(&sim)
            .await
            .iter()
            .filter_map(|u| u["id"].as_str().map(str::to_owned))
            .collect();
        admin(&sim, reqwest::Method::DELETE, "/stats", None).await;
        // 250 Light calls at once: Zoom allows 80/s; the client paces at 64/s.
        let tasks: Vec<_> = (0..250)
            .map(|i| {
                let client = client.clone();
                let id = ids[i % ids.len()].clone();
                tokio::spawn(async move { client.get_user(&id).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let stats = admin(&sim, reqwest::Method::GET, "/stats", None).await;
        assert_eq!(stats["throttled"]["QPS"], 0, "{stats}");
        assert_eq!(stats["requests"]["GET /users/{userId}"], 250);
    }

    /// Every phone method against the simulator: listings complete over several pages,
    /// profile reads and updates, plans and numbers (with lost answers checked, not
    /// replayed), and the error kinds of Zoom's phone refusals.
    #[tokio::test]
    async fn phone_methods_drive_the_simulator_and_survive_lost_answers() {
        use zoom_scim::zoom::model::{
            ListPhoneUsersQuery, PhoneNumberFilter, PhoneNumberRef, UpdatePhoneUser,
        };
        let sim = start_simulator(SimSettings {
            users: 400,
            phone_sites: 40,
            ..SimSettings::default()
        })
        .await;
        let mut config = config(&sim);
        // Sites take two pages; phone users stay at their maximum of 100 per page.
        config.page_size = 25;
        let client = ZoomClient::new(&config).unwrap();
        let state = admin(&sim, reqwest::Method::GET, "/state", None).await;
        let phone: Vec<&Value> = state["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| !u["phone"].is_null())
            .collect();

        let listed: Vec<_> = client
            .list_phone_users(ListPhoneUsersQuery {
                page_size: Some(100),
                ..ListPhoneUsersQuery::default()
            })
            .try_collect()
            .await
            .unwrap();
        let ids: HashSet<String> = listed.iter().filter_map(|u| u.id.clone()).collect();
        assert_eq!((listed.len(), ids.len()), (phone.len(), phone.len()));
        let a = phone[0]["id"].as_str().unwrap();
        let site = phone[0]["phone"]["site_id"].as_str().unwrap();
        let at_site: Vec<_> = client
            .list_phone_users(ListPhoneUsersQuery {
                site_id: Some(site.to_owned()),
                ..ListPhoneUsersQuery::default()
            })
            .try_collect()
            .await
            .unwrap();
        assert!(
            at_site
                .iter()
                .all(|u| u.site.as_ref().and_then(|s| s.id.as_deref()) == Some(site))
        );
        assert!(at_site.iter().any(|u| u.id.as_deref() == Some(a)));
        let ext = phone[0]["phone"]["extension_number"].as_str().unwrap();
        let by_keyword: Vec<_> = client
            .list_phone_users(ListPhoneUsersQuery {
                keyword: Some(ext.to_owned()),
                ..ListPhoneUsersQuery::default()
            })
            .try_collect()
            .await
            .unwrap();
        assert!(by_keyword.iter().any(|u| u.id.as_deref() == Some(a)));

        let profile = client.get_phone_user(a).await.unwrap();
        assert_eq!(
            profile.extension_number.map(|e| e.to_string()).as_deref(),
            Some(ext)
        );
        assert_eq!(profile.site_id.as_deref(), Some(site));
        let plain = state["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["phone"].is_null() && u["status"] == "active")
            .and_then(|u| u["id"].as_str())
            .unwrap();
        let missing = client.get_phone_user(plain).await.unwrap_err();
        assert!(missing.is_not_found());
        assert_eq!(missing.code, Some(1001));

        let sites: Vec<_> = client.list_sites().try_collect().await.unwrap();
        assert_eq!(sites.len(), 40, "every page of sites");
        assert_eq!(
            sites
                .iter()
                .filter(|s| s.level.as_deref() == Some("main"))
                .count(),
            1
        );
        let code = sites
            .iter()
            .find(|s| s.id.as_deref() == Some(site))
            .and_then(|s| s.site_code)
            .unwrap();
        let wanted = format!("{code}4321");
        client
            .update_phone_user(
                a,
                &UpdatePhoneUser {
                    extension_number: Some(wanted.clone()),
                    site_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            client.get_phone_user(a).await.unwrap().extension_number,
            wanted.parse().ok()
        );

        let free: Vec<_> = client
            .list_phone_numbers(PhoneNumberFilter::Unassigned)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(free.len(), 50);
        assert!(free.iter().all(|n| n.assignee.is_none()));
        let plans = client.list_calling_plans().await.unwrap();
        assert!(
            plans
                .iter()
                .any(|p| p.plan_type == Some(3000) && p.available == Some(10))
        );

        // A lost answer to a plan assignment: checked, not replayed (a replay would be
        // refused: the plan is held already).
        fault(
            &sim,
            json!({"method": "POST", "path": "/phone/users/{userId}/calling_plans",
                   "action": "apply_then_drop"}),
        )
        .await;
        admin(&sim, reqwest::Method::DELETE, "/stats", None).await;
        client.assign_calling_plans(a, &[3000]).await.unwrap();
        let stats = admin(&sim, reqwest::Method::GET, "/stats", None).await;
        assert_eq!(
            stats["requests"]["POST /phone/users/{userId}/calling_plans"],
            1
        );
        let held = client.get_phone_user(a).await.unwrap().calling_plans;
        assert_eq!(held.iter().filter(|p| p.plan_type == Some(3000)).count(), 1);

        // Same for numbers, named without the `+`; the answer reports the number.
        fault(
            &sim,
            json!({"method": "POST", "path": "/phone/users/{userId}/phone_numbers",
                   "action": "apply_then_respond", "status": 502}),
        )
        .await;
        let number = free[0].number.clone().unwrap();
        let assigned = client
            .assign_phone_numbers(
                a,
                &[PhoneNumberRef {
                    id: None,
                    number: Some(number.trim_start_matches('+').to_owned()),
                }],
            )
            .await
            .unwrap();
        assert_eq!(assigned.len(), 1);
        assert_eq!(assigned[0].number.as_deref(), Some(number.as_str()));
        assert_eq!(assigned[0].id, free[0].id);

        // Zoom's refusals and their kinds.
        let b = phone[1]["id"].as_str().unwrap();
        let taken = client
            .assign_phone_numbers(
                b,
                &[PhoneNumberRef {
                    id: free[0].id.clone(),
                    number: None,
                }],
            )
            .await
            .unwrap_err();
        assert_eq!(taken.kind, ErrorKind::Conflict, "{taken}");
        let twice = client.assign_calling_plans(a, &[3000]).await.unwrap_err();
        assert_eq!(twice.kind, ErrorKind::Validation, "{twice}");
        let unknown = client.assign_calling_plans(a, &[42]).await.unwrap_err();
        assert_eq!(unknown.kind, ErrorKind::BadRequest, "{unknown}");
        let not_held = client.unassign_calling_plan(b, 3000).await.unwrap_err();
        assert_eq!(not_held.kind, ErrorKind::BadRequest, "{not_held}");

        client.unassign_calling_plan(a, 3000).await.unwrap();
        client.unassign_phone_number(a, &number).await.unwrap();
        let after = client.get_phone_user(a).await.unwrap();
        assert!(
            after
                .calling_plans
                .iter()
                .all(|p| p.plan_type != Some(3000))
        );
        assert!(
            after
                .phone_numbers
                .iter()
                .all(|n| n.number.as_deref() != Some(&number))
        );

        // No licence left: enabling the feature is a conflict, not "not found".
        admin(
            &sim,
            reqwest::Method::POST,
            "/seed",
            Some(json!({"users": 400, "phone_spare_licences": 0})),
        )
        .await;
        let refused = client
            .update_user(
                plain,
                &UpdateUser {
                    feature: Some(zoom_scim::zoom::model::UserFeature {
                        zoom_phone: Some(true),
                        ..Default::default()
                    }),
                    ..UpdateUser::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Conflict, "{refused}");
        // Phone switched off for the account: permission.
        admin(
            &sim,
            reqwest::Method::PUT,
            "/config",
            Some(json!({"phone_enabled": false})),
        )
        .await;
        let off = client.get_phone_user(a).await.unwrap_err();
        assert_eq!(off.kind, ErrorKind::Permission, "{off}");
        assert_eq!(off.code, Some(2031));
    }
}
