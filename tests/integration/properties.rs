//! Black-box property: paging `/Users` through the service (RFC 7644 section 3.4.2.4)
//! from any `startIndex` with any page sizes, changing on the way, lists every user
//! exactly once, in one order, with a `totalResults` that does not move. Zoom pages are
//! small so SCIM pages straddle them and the service's cursors are resumed at every
//! offset. A small number of generated cases, against one simulator.

use std::collections::HashSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use zoom_scim::config::Config as ServiceConfig;

use crate::support::{Stack, sim_settings, start_stack, urlencode};

const USERS: usize = 37;

/// The filters walked: none, and ones the service answers from Zoom's status lists.
const FILTERS: &[Option<&str>] = &[None, Some("active eq true"), Some("active eq false")];

async fn get_page(
    stack: &Stack,
    filter: Option<&str>,
    start: usize,
    count: usize,
) -> (u64, Vec<String>) {
    let filter = filter.map_or(String::new(), |f| format!("&filter={}", urlencode(f)));
    let (status, body) = stack
        .get(&format!("/Users?startIndex={start}&count={count}{filter}"))
        .await;
    assert_eq!(
        status, 200,
        "startIndex={start} count={count}{filter}: {body}"
    );
    let resources = body["Resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(body["itemsPerPage"], resources.len(), "{body}");
    assert!(resources.len() <= count, "{count}: {body}");
    // RFC 7644 section 3.4.2.4: startIndex below 1 is taken as 1.
    assert_eq!(body["startIndex"], start.max(1), "{body}");
    let names = resources
        .iter()
        .map(|u| {
            u["userName"]
                .as_str()
                .expect("userName")
                .to_ascii_lowercase()
        })
        .collect();
    (body["totalResults"].as_u64().expect("totalResults"), names)
}

#[test]
fn paging_from_any_start_with_any_counts_lists_each_user_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = ServiceConfig::default();
    config.zoom.page_size = 10;
    let stack = runtime.block_on(start_stack(sim_settings(USERS), config));

    // The reference order of each filter: one page holding everything.
    let everyone: HashSet<String> = runtime.block_on(async {
        let state = stack.sim_admin("state").await;
        state["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["email"].as_str().expect("email").to_ascii_lowercase())
            .collect()
    });
    let references: Vec<Vec<String>> = FILTERS
        .iter()
        .map(|filter| {
            let (total, names) = runtime.block_on(get_page(&stack, *filter, 1, 1000));
            assert_eq!(total as usize, names.len(), "{filter:?}");
            names
        })
        .collect();
    let unfiltered: HashSet<String> = references[0].iter().cloned().collect();
    assert_eq!(references[0].len(), unfiltered.len(), "a user listed twice");
    assert_eq!(unfiltered, everyone, "the list is not Zoom's users");
    // The status filters split the users between them.
    assert_eq!(references[1].len() + references[2].len(), USERS);

    let cases = (
        0..FILTERS.len(),
        0usize..USERS + 3,
        prop::collection::vec(1usize..16, 1..5),
    );
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&cases, |(which, start, counts)| {
        let filter = FILTERS[which];
        let reference = &references[which];
        let seen = runtime.block_on(async {
            let mut seen = Vec::new();
            let mut index = start;
            for step in 0.. {
                let (total, names) =
                    get_page(&stack, filter, index, counts[step % counts.len()]).await;
                assert_eq!(total as usize, reference.len(), "totalResults moved");
                if names.is_empty() {
                    break;
                }
                index = index.max(1) + names.len();
                seen.extend(names);
            }
            seen
        });
        let from = start.max(1) - 1;
        prop_assert_eq!(
            &seen[..],
            reference.get(from..).unwrap_or_default(),
            "filter {:?}, startIndex {}, counts {:?}",
            filter,
            start,
            counts
        );
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
