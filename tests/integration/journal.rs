//! The journal of SCIM writes, black-box: what a client's writes leave in it (who,
//! which request, which Zoom calls, what came of it), that no token enters it, the
//! `zoom-scim journal` command that reads it, and the settling of entries whose write
//! never finished.

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;
use zoom_scim::secret::Secret;
use zoom_scim::store::journal::{JournalQuery, NewEntry, Outcome};
use zoom_scim::store::{ResourceKind, Store, StoreConfig, StoreUrl};

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack};

fn config() -> Config {
    let mut config = Config::default();
    config.scim.create_action = zoom_scim::zoom::model::CreateAction::AutoCreate;
    config.scim.delete_policy = zoom_scim::provider::DeletePolicy::Disassociate;
    config.auth.tokens = vec![Secret::new(format!("okta-prod:{SCIM_TOKEN}"))];
    config
}

fn store_url(stack: &Stack) -> StoreUrl {
    crate::support::sqlite_url(stack.store_dir.as_ref().expect("a SQLite store"))
}

async fn open(url: &StoreUrl) -> Store {
    Store::open(&StoreConfig {
        url: url.clone(),
        ..StoreConfig::default()
    })
    .await
    .expect("open the service's store")
}

#[tokio::test]
async fn every_write_is_journaled_with_its_client_request_and_zoom_calls() {
    let stack = start_stack(sim_settings(5), config()).await;
    let created = stack
        .scim(
            Method::POST,
            "/Users",
            Some(
                json!({"schemas": [urn::USER], "userName": "journal.hire@example.com",
                        "name": {"givenName": "Jo", "familyName": "Urnal"}}),
            ),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let patch = |value: Value| json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": value}]});
    let patched = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(json!("Engineer"))),
            &[("x-request-id", "entra-req-42")],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let refused = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "remove", "path": "userName"}]})),
            &[],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let (status, _) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    let deleted = stack
        .scim(Method::DELETE, &format!("/Users/{id}"), None, &[])
        .await;
    assert_eq!(deleted.status, 204);

    let store = open(&store_url(&stack)).await;
    let entries = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap();
    let operations: Vec<&str> = entries.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "POST /Users",
            "PATCH /Users/{id}",
            "PATCH /Users/{id}",
            "DELETE /Users/{id}"
        ],
        "writes only, in order"
    );
    for entry in &entries {
        assert_eq!(entry.client, "okta-prod");
        assert_eq!(entry.resource_id.as_deref(), Some(id.as_str()));
        assert_eq!(entry.resource_type, "User");
    }
    let create = &entries[0];
    assert_eq!(create.outcome, Outcome::Done);
    assert_eq!(create.status, Some(201));
    assert_eq!(
        create.resource_key.as_deref(),
        Some("journal.hire@example.com")
    );
    assert_eq!(create.request_id, created.header("x-request-id").unwrap());
    assert!(
        create
            .calls
            .iter()
            .any(|c| c.call == "POST /users" && c.status == Some(201) && c.outcome == "ok"),
        "{:?}",
        create.calls
    );
    let update = &entries[1];
    assert_eq!(update.request_id, "entra-req-42");
    assert!(
        update
            .calls
            .iter()
            .any(|c| c.call == format!("PATCH /users/{id}") && c.status == Some(204)),
        "{:?}",
        update.calls
    );
    let bad = &entries[2];
    assert_eq!(bad.outcome, Outcome::Failed);
    assert_eq!(bad.status, Some(400));
    assert_eq!(bad.detail.as_deref(), Some(refused.detail()));
    assert!(
        bad.calls.iter().all(|c| c.call.starts_with("GET ")),
        "a refused write sends Zoom nothing: {:?}",
        bad.calls
    );
    assert!(
        entries[3]
            .calls
            .iter()
            .any(|c| c.call.starts_with(&format!("DELETE /users/{id}"))),
        "{:?}",
        entries[3].calls
    );

    // No token in the store's files.
    let dir = stack.store_dir.as_ref().unwrap().path();
    for file in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(SCIM_TOKEN.len())
                .any(|w| w == SCIM_TOKEN.as_bytes()),
            "a token reached the store"
        );
    }

    // `zoom-scim journal` reads the same store.
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-scim"))
            .arg("journal")
            .args(args)
            .env_clear()
            .env("ZOOM_SCIM_STORE__URL", store_url(&stack).expose())
            .output()
            .expect("run zoom-scim journal");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let listed: Value = serde_json::from_str(&run(&["--json", "--resource", &id])).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(4));
    assert_eq!(listed[1]["request_id"], "entra-req-42");
    assert_eq!(listed[2]["outcome"], "failed");
    let text = run(&["--since", "1h", "--limit", "2"]);
    assert_eq!(
        text.lines().filter(|l| !l.starts_with(' ')).count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("DELETE /Users/{id}") && text.contains("client=okta-prod"),
        "{text}"
    );
    let future = run(&["--since", "2999-01-01T00:00:00Z"]);
    assert!(future.is_empty(), "{future}");
}

#[tokio::test]
async fn unfinished_entries_are_settled_with_what_zoom_shows() {
    let stack = start_stack(sim_settings(5), config()).await;
    let member = stack.active_member().await;
    let member_id = member["id"].as_str().expect("id").to_owned();
    let url = store_url(&stack);
    let store = open(&url).await;
    let begin = |operation: &str, id: Option<&str>, key: Option<&str>| NewEntry {
        client: "okta-prod".into(),
        request_id: "lost".into(),
        resource_type: ResourceKind::User,
        operation: operation.into(),
        resource_id: id.map(str::to_owned),
        resource_key: key.map(str::to_owned),
    };
    // Writes the service began and never finished (it stopped).
    let patched = store
        .journal_begin(&begin("PATCH /Users/{id}", Some(&member_id), None))
        .await
        .unwrap();
    let created = store
        .journal_begin(&begin("POST /Users", None, Some("never.made@example.com")))
        .await
        .unwrap();

    let provider = crate::support::provider_for(&stack.sim, config(), store.clone());
    let now = chrono::Utc::now();
    let done = provider
        .journal_upkeep(
            &store,
            now + chrono::Duration::seconds(5),
            now - chrono::Duration::days(1),
        )
        .await
        .expect("upkeep");
    assert_eq!(done.settled, 2);
    let entries = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap();
    let find = |id: &str| entries.iter().find(|e| e.id == id).expect("entry");
    let settled = find(&patched);
    assert_eq!(settled.outcome, Outcome::Unknown);
    let detail = settled.detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("not known")
            && detail.contains(&format!(
                "Zoom shows user {}",
                member["email"].as_str().unwrap()
            )),
        "{detail}"
    );
    let detail = find(&created).detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("Zoom has no user never.made@example.com"),
        "{detail}"
    );
    // Settled once: the next pass finds nothing to do.
    let again = provider
        .journal_upkeep(
            &store,
            now + chrono::Duration::seconds(5),
            now - chrono::Duration::days(1),
        )
        .await
        .expect("upkeep");
    assert_eq!(again.settled, 0);
}

/// The store goes away in the middle of a burst of creates and updates: each write is
/// either done (and begun in the journal before it reached Zoom) or refused with 503
/// having changed nothing in Zoom; nothing half-done. Once the store is back, the
/// refused writes succeed when retried.
#[tokio::test]
async fn a_store_that_goes_away_mid_burst_leaves_every_write_done_or_refused_whole() {
    let url = crate::support::postgres::fresh_database().await;
    let database = url.expose().rsplit('/').next().expect("name").to_owned();
    let mut config = config();
    config.store.url = url.clone();
    config.store.acquire_timeout_s = 1;
    let settings = zoom_scim::simulator::SimSettings {
        latency_ms: 40,
        ..sim_settings(5)
    };
    let stack = std::sync::Arc::new(start_stack(settings, config).await);
    const WRITES: usize = 40;
    let mut tasks = Vec::new();
    for i in 0..WRITES {
        let stack = stack.clone();
        tasks.push(tokio::spawn(async move {
            // Spread over a second, so the outage falls in the middle.
            tokio::time::sleep(std::time::Duration::from_millis(25 * i as u64)).await;
            let email = format!("burst.{i}@example.com");
            let r = stack
                .scim(
                    Method::POST,
                    "/Users",
                    Some(json!({"schemas": [urn::USER], "userName": email,
                                "title": format!("Title {i}")})),
                    &[("x-request-id", &format!("burst-{i}"))],
                )
                .await;
            (i, email, r)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    crate::support::postgres::set_accepting(&database, false).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    crate::support::postgres::set_accepting(&database, true).await;
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("write task"));
    }

    let store = open(&url).await;
    let entries = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap();
    let (mut done, mut refused) = (0, 0);
    for (i, email, r) in &answers {
        let in_zoom = stack.sim_admin("state").await["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == email.as_str());
        match r.status {
            201 => {
                done += 1;
                assert!(in_zoom, "write {i} answered 201 and Zoom has the user");
                assert!(
                    entries
                        .iter()
                        .any(|e| e.request_id == format!("burst-{i}")
                            && e.operation == "POST /Users"),
                    "write {i} is in the journal"
                );
            }
            503 => {
                refused += 1;
                assert!(r.header("retry-after").is_some());
                assert!(
                    !in_zoom,
                    "write {i} answered 503 and Zoom has nothing of it"
                );
            }
            other => panic!("write {i}: {other} {}", r.body),
        }
    }
    assert_eq!(done + refused, WRITES);
    assert!(refused > 0, "the outage refused some writes");
    assert!(done > 0, "writes before and after the outage were done");

    // Retried with the store back, each refused write is done.
    for (i, email, r) in &answers {
        if r.status == 503 {
            let again = stack
                .scim(
                    Method::POST,
                    "/Users",
                    Some(json!({"schemas": [urn::USER], "userName": email,
                                "title": format!("Title {i}")})),
                    &[],
                )
                .await;
            assert_eq!(again.status, 201, "retry of write {i}: {}", again.body);
        }
    }
}
