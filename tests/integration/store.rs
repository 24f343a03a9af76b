//! The store on both backends: every test here runs once on a SQLite file and once on
//! a fresh PostgreSQL database (support/postgres.rs).

use std::collections::HashMap;

use zoom_scim::store::journal::{Finish, JournalQuery, NewEntry, Outcome, ZoomCall};
use zoom_scim::store::{Backend, ResourceKind, Store, StoreConfig, StoreError, StoreUrl};

use crate::support::postgres::fresh_database;

/// A store address and whatever keeps it alive.
struct Place {
    url: StoreUrl,
    _dir: Option<tempfile::TempDir>,
}

async fn place(backend: Backend) -> Place {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            Place {
                url: crate::support::sqlite_url(&dir),
                _dir: Some(dir),
            }
        }
        Backend::Postgres => Place {
            url: fresh_database().await,
            _dir: None,
        },
    }
}

fn config(url: &StoreUrl) -> StoreConfig {
    StoreConfig {
        url: url.clone(),
        ..StoreConfig::default()
    }
}

/// Runs each listed test on both backends.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(zoom_scim::store::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(zoom_scim::store::Backend::Postgres).await
                }
            )*
        }
    };
}

on_both_backends!(
    external_ids_round_trip,
    external_ids_are_case_exact_and_per_kind,
    reopening_keeps_data_and_migrates_once,
    a_newer_schema_is_refused,
    concurrent_writers_all_land,
    many_ids_are_read_in_chunks,
    the_journal_keeps_each_write_from_begin_to_end,
    modification_times_follow_writes_and_walks,
    a_walk_dated_earlier_never_moves_a_time_back,
    full_reads_date_a_changed_version_once,
);

async fn external_ids_round_trip(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    assert_eq!(store.backend(), backend);
    let user = ResourceKind::User;
    assert_eq!(store.external_id(user, "u1").await.unwrap(), None);
    store
        .set_external_id(user, "u1", Some("ext-1"))
        .await
        .unwrap();
    store
        .set_external_id(user, "u2", Some("ext-2"))
        .await
        .unwrap();
    assert_eq!(
        store.external_id(user, "u1").await.unwrap().as_deref(),
        Some("ext-1")
    );
    // A replace overwrites; a clear keeps no value.
    store
        .set_external_id(user, "u1", Some("ext-1b"))
        .await
        .unwrap();
    store.set_external_id(user, "u2", None).await.unwrap();
    let found = store.external_ids(user, &["u1", "u2", "u3"]).await.unwrap();
    assert_eq!(
        found,
        HashMap::from([("u1".to_owned(), "ext-1b".to_owned())])
    );
    assert_eq!(
        store.ids_by_external_id(user, "ext-1b").await.unwrap(),
        ["u1"]
    );
    assert!(
        store
            .ids_by_external_id(user, "ext-2")
            .await
            .unwrap()
            .is_empty()
    );
    store.forget(user, "u1").await.unwrap();
    assert_eq!(store.external_id(user, "u1").await.unwrap(), None);
    assert!(store.all_external_ids(user).await.unwrap().is_empty());
}

async fn external_ids_are_case_exact_and_per_kind(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    store
        .set_external_id(ResourceKind::User, "same-id", Some("Abc"))
        .await
        .unwrap();
    store
        .set_external_id(ResourceKind::Group, "same-id", Some("abc"))
        .await
        .unwrap();
    // RFC 7643 section 3.1: externalId is caseExact.
    assert_eq!(
        store
            .ids_by_external_id(ResourceKind::User, "Abc")
            .await
            .unwrap(),
        ["same-id"]
    );
    assert!(
        store
            .ids_by_external_id(ResourceKind::User, "abc")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .external_id(ResourceKind::Group, "same-id")
            .await
            .unwrap()
            .as_deref(),
        Some("abc")
    );
    let all = store.all_external_ids(ResourceKind::User).await.unwrap();
    assert_eq!(all.len(), 1);
}

async fn reopening_keeps_data_and_migrates_once(backend: Backend) {
    let place = place(backend).await;
    {
        let store = Store::open(&config(&place.url)).await.expect("open");
        store
            .set_external_id(ResourceKind::User, "u1", Some("kept"))
            .await
            .unwrap();
        store.close().await;
    }
    let store = Store::open(&config(&place.url)).await.expect("reopen");
    assert_eq!(
        store
            .external_id(ResourceKind::User, "u1")
            .await
            .unwrap()
            .as_deref(),
        Some("kept")
    );
}

async fn a_newer_schema_is_refused(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    store.close().await;
    let checksum = match backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&match backend {
        Backend::Sqlite => format!("{}?mode=rw", place.url.expose()),
        Backend::Postgres => place.url.expose().to_owned(),
    })
    .await
    .expect("connect");
    sqlx::query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
         execution_time) VALUES (99990101000000, 'from the future', TRUE, {checksum}, 0)"
    ))
    .execute(&mut conn)
    .await
    .expect("pretend a newer version migrated the store");
    drop(conn);
    let err = Store::open(&config(&place.url)).await.unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("99990101000000") && message.contains("newer zoom-scim"),
        "{message}"
    );
}

async fn concurrent_writers_all_land(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    let writes = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .set_external_id(ResourceKind::User, &format!("u{i}"), Some(&format!("e{i}")))
                .await
        })
    });
    for write in futures::future::join_all(writes).await {
        write.expect("task").expect("write lands");
    }
    let all = store.all_external_ids(ResourceKind::User).await.unwrap();
    assert_eq!(all.len(), 200);
    assert_eq!(all["u7"], "e7");
}

async fn many_ids_are_read_in_chunks(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    for i in (0..1200).step_by(3) {
        store
            .set_external_id(
                ResourceKind::Group,
                &format!("g{i}"),
                Some(&format!("x{i}")),
            )
            .await
            .unwrap();
    }
    let ids: Vec<String> = (0..1200).map(|i| format!("g{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let found = store
        .external_ids(ResourceKind::Group, &refs)
        .await
        .unwrap();
    assert_eq!(found.len(), 400);
    assert_eq!(found["g1197"], "x1197");
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable_and_says_where() {
    // Nothing listens on port 1; the password never shows.
    let url = StoreUrl::new("postgres://scim:hunter2@127.0.0.1:1/zoom");
    let err = Store::open(&StoreConfig {
        url,
        acquire_timeout_s: 2,
        ..StoreConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");

    let err = Store::open(&config(&StoreUrl::new(
        "sqlite:///nonexistent-dir/zoom-scim.db",
    )))
    .await
    .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

fn new_entry(operation: &str, resource_id: Option<&str>) -> NewEntry {
    NewEntry {
        client: "entra".into(),
        request_id: format!("req-{operation}"),
        resource_type: ResourceKind::User,
        operation: operation.into(),
        resource_id: resource_id.map(str::to_owned),
        resource_key: Some("a@example.com".into()),
    }
}

async fn the_journal_keeps_each_write_from_begin_to_end(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    let created = store
        .journal_begin(&new_entry("POST /Users", None))
        .await
        .unwrap();
    let call = ZoomCall {
        call: "POST /users".into(),
        status: Some(201),
        outcome: "ok".into(),
    };
    store
        .journal_finish(
            &created,
            &Finish {
                outcome: Outcome::Done,
                status: 201,
                detail: None,
                resource_id: Some("u1".into()),
                calls: vec![call.clone()],
            },
        )
        .await
        .unwrap();
    let patched = store
        .journal_begin(&new_entry("PATCH /Users/{id}", Some("u1")))
        .await
        .unwrap();
    let other = store
        .journal_begin(&new_entry("DELETE /Users/{id}", Some("u2")))
        .await
        .unwrap();

    let all = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [created.as_str(), patched.as_str(), other.as_str()],
        "oldest first"
    );
    let first = &all[0];
    assert_eq!(first.outcome, Outcome::Done);
    assert_eq!(first.status, Some(201));
    assert_eq!(
        first.resource_id.as_deref(),
        Some("u1"),
        "a create's id is kept"
    );
    assert_eq!(first.calls, [call]);
    assert_eq!(first.client, "entra");
    assert_eq!(first.instance, store.instance());
    assert!(first.finished_at.is_some());

    let of_u1 = store
        .journal_entries(&JournalQuery {
            resource_id: Some("u1".into()),
            ..JournalQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(of_u1.len(), 2);
    let newest = store
        .journal_entries(&JournalQuery {
            limit: 1,
            ..JournalQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(newest[0].id, other);
    let later = chrono::Utc::now() + chrono::Duration::seconds(5);
    assert!(
        store
            .journal_entries(&JournalQuery {
                since: Some(later),
                ..JournalQuery::default()
            })
            .await
            .unwrap()
            .is_empty()
    );

    // The two left started are unfinished; settling one marks it unknown, once.
    let unfinished = store.journal_unfinished(later).await.unwrap();
    assert_eq!(unfinished.len(), 2);
    store
        .journal_settle(&patched, "Zoom shows user u1")
        .await
        .unwrap();
    store
        .journal_finish(
            &other,
            &Finish {
                outcome: Outcome::Failed,
                status: 409,
                detail: Some("refused".into()),
                resource_id: None,
                calls: Vec::new(),
            },
        )
        .await
        .unwrap();
    store.journal_settle(&other, "late").await.unwrap();
    let all = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap();
    assert_eq!(all[1].outcome, Outcome::Unknown);
    assert_eq!(all[1].detail.as_deref(), Some("Zoom shows user u1"));
    assert_eq!(
        all[2].outcome,
        Outcome::Failed,
        "a finished entry is not settled"
    );
    assert_eq!(all[2].detail.as_deref(), Some("refused"));
    assert!(store.journal_unfinished(later).await.unwrap().is_empty());

    assert_eq!(store.journal_prune(later).await.unwrap(), 3);
    assert!(
        store
            .journal_entries(&JournalQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn modification_times_follow_writes_and_walks(backend: Backend) {
    use zoom_scim::store::changes::TimeComparison;
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    let user = ResourceKind::User;
    let t0 = chrono::Utc::now() - chrono::Duration::seconds(60);
    let seen: Vec<(String, String)> = (0..450)
        .map(|i| (format!("u{i}"), format!("fp{i}")))
        .collect();
    let first = store.record_sightings(user, &seen, t0).await.unwrap();
    assert_eq!((first.new, first.changed), (450, 0));
    // The same listing later changes nothing; one changed fingerprint is dated then.
    let t1 = t0 + chrono::Duration::seconds(10);
    let mut again = seen.clone();
    again[7].1 = "fp7-changed".into();
    let second = store.record_sightings(user, &again, t1).await.unwrap();
    assert_eq!((second.new, second.changed), (0, 1));
    // The service's own write is dated when it is made.
    let t2 = t0 + chrono::Duration::seconds(20);
    store.touch(user, &["u9", "new-user"], t2).await.unwrap();
    let after = |t| store.modified_ids(user, TimeComparison::After, t);
    assert_eq!(after(t0).await.unwrap(), ["new-user", "u7", "u9"]);
    assert_eq!(after(t1).await.unwrap(), ["new-user", "u9"]);
    assert!(after(t2).await.unwrap().is_empty());
    assert_eq!(
        store
            .modified_ids(user, TimeComparison::AtOrBefore, t0)
            .await
            .unwrap()
            .len(),
        448
    );
    let times = store
        .modification_times(user, &["u7", "u8", "nobody"])
        .await
        .unwrap();
    assert_eq!(times["u7"].timestamp_millis(), t1.timestamp_millis());
    assert_eq!(times["u8"].timestamp_millis(), t0.timestamp_millis());
    assert!(!times.contains_key("nobody"));
    // A touched row keeps its fingerprint: the next walk of an unchanged listing
    // changes nothing.
    let third = store.record_sightings(user, &again, t2).await.unwrap();
    assert_eq!((third.new, third.changed), (0, 0));
}

async fn a_walk_dated_earlier_never_moves_a_time_back(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    let user = ResourceKind::User;
    let walk_started = chrono::Utc::now() - chrono::Duration::seconds(30);
    // An event dates u1 while a walk that started earlier is still listing; the walk
    // then records u1 (new to it, or changed) at its start.
    let event = walk_started + chrono::Duration::seconds(10);
    store.touch(user, &["u1"], event).await.unwrap();
    let seen = vec![
        ("u1".to_owned(), "fp1".to_owned()),
        ("u2".to_owned(), "fp2".to_owned()),
    ];
    store
        .record_sightings(user, &seen, walk_started)
        .await
        .unwrap();
    let times = store.modification_times(user, &["u1", "u2"]).await.unwrap();
    assert_eq!(times["u1"].timestamp_millis(), event.timestamp_millis());
    assert_eq!(
        times["u2"].timestamp_millis(),
        walk_started.timestamp_millis()
    );
    // A write dated earlier than what is stored does not move it back either.
    store.touch(user, &["u1"], walk_started).await.unwrap();
    let times = store.modification_times(user, &["u1"]).await.unwrap();
    assert_eq!(times["u1"].timestamp_millis(), event.timestamp_millis());
}

async fn full_reads_date_a_changed_version_once(backend: Backend) {
    let place = place(backend).await;
    let store = Store::open(&config(&place.url)).await.expect("open");
    let user = ResourceKind::User;
    let t0 = chrono::Utc::now() - chrono::Duration::seconds(60);
    store
        .record_sightings(user, &[("known".to_owned(), "fp".to_owned())], t0)
        .await
        .unwrap();
    let t1 = t0 + chrono::Duration::seconds(10);
    // A known resource's first full read keeps its time; one never seen is first seen.
    let dated = store
        .record_full_reads(user, &[("known", "v1"), ("unseen", "v1")], t1)
        .await
        .unwrap();
    assert_eq!(dated, ["unseen"]);
    let t2 = t0 + chrono::Duration::seconds(20);
    let dated = store
        .record_full_reads(user, &[("known", "v1"), ("unseen", "v1")], t2)
        .await
        .unwrap();
    assert!(dated.is_empty(), "the same versions date nothing");
    let t3 = t0 + chrono::Duration::seconds(30);
    let dated = store
        .record_full_reads(user, &[("known", "v2"), ("unseen", "v1")], t3)
        .await
        .unwrap();
    assert_eq!(dated, ["known"]);
    let times = store
        .modification_times(user, &["known", "unseen"])
        .await
        .unwrap();
    assert_eq!(times["known"].timestamp_millis(), t3.timestamp_millis());
    assert_eq!(times["unseen"].timestamp_millis(), t1.timestamp_millis());
}
