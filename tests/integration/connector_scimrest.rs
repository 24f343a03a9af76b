//! Evolveum connector-scimrest (docs/clients.md section 3.1): `/Schemas` and
//! `/ResourceTypes` read at start-up, references found through `referenceTypes`, and a
//! search that passes the page number as `startIndex` with `count=25` (pages that
//! overlap). Offsets must stay exact whatever `startIndex` comes next, so each page is
//! the listing's slice at that offset.

use serde_json::Value;
use zoom_scim::config::Config;

use crate::support::{sim_settings, start_stack};

fn ids(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_start_up_reads_and_the_overlapping_search_are_exact() {
    let stack = start_stack(sim_settings(120), Config::default()).await;

    let (status, schemas) = stack.get("/Schemas").await;
    assert_eq!(status, 200);
    let group = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Group")
        .expect("the Group schema");
    let members = group["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "members")
        .expect("members");
    let reference = members["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "$ref")
        .expect("members.$ref");
    assert_eq!(reference["type"], "reference");
    assert!(
        reference["referenceTypes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "User")
    );
    let (status, types) = stack.get("/ResourceTypes").await;
    assert_eq!(status, 200);
    let endpoints: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["endpoint"].as_str().unwrap())
        .collect();
    assert!(endpoints.contains(&"/Users") && endpoints.contains(&"/Groups"));

    // The reference order: the whole listing.
    let (status, whole) = stack.get("/Users?attributes=id").await;
    assert_eq!(status, 200);
    let order = ids(&whole);
    let total = whole["totalResults"].as_u64().unwrap() as usize;
    assert_eq!(order.len(), total);

    // The connector's loop: page number as startIndex, 25 a page, until an empty page or
    // as many processed as totalResults.
    let (mut page, mut processed) = (1usize, 0usize);
    loop {
        let (status, body) = stack
            .get(&format!("/Users?startIndex={page}&count=25"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["totalResults"], total, "the total holds on every page");
        assert_eq!(body["startIndex"], page);
        let got = ids(&body);
        let want: Vec<String> = order.iter().skip(page - 1).take(25).cloned().collect();
        assert_eq!(
            got, want,
            "the page at startIndex={page} is the listing's slice"
        );
        if got.is_empty() {
            break;
        }
        processed += got.len();
        if processed >= total {
            break;
        }
        page += 1;
    }
    assert!(page > 1, "the loop paged");
}
