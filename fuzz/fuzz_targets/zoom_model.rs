//! Zoom's JSON answers (the `zoom::model` types and list envelopes) on any bytes, then
//! their SCIM mapping. The first byte picks the answer, the rest is its body. A body
//! the service cannot read is an error, never a panic; what it reads survives being
//! written and read again unchanged (the simulator and caches serialise these types).

#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zoom_scim::mapping::{group, user};
use zoom_scim::zoom::Page;
use zoom_scim::zoom::model::{
    AccountCallingPlan, Group, Member, PhoneNumber, PhoneSite, PhoneUser, PhoneUserProfile, Role,
    ZoomUser,
};
use zoom_scim_fuzz::BASE_URL;

/// Reads `body` as `T`; what is read round-trips through JSON.
fn read<T: DeserializeOwned + Serialize + PartialEq + Debug>(body: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(body).ok()?;
    let written = serde_json::to_vec(&value).expect("a model value serialises");
    let again: T = serde_json::from_slice(&written)
        .unwrap_or_else(|e| panic!("{value:?} written as {written:?} does not read back: {e}"));
    assert_eq!(again, value, "a model value changed through JSON");
    Some(value)
}

/// Reads `body` as a list page under `key`; every item round-trips as [`read`] does.
fn page<T: DeserializeOwned + Serialize + PartialEq + Debug>(body: &[u8], key: &str) -> Vec<T> {
    match Page::<T>::from_body(body, key, "GET", "/fuzz") {
        Err(_) => Vec::new(),
        Ok(page) => {
            if let Some(token) = &page.next_page_token {
                assert!(
                    !token.trim().is_empty(),
                    "an empty page token is the last page"
                );
            }
            for item in &page.items {
                let written = serde_json::to_vec(item).expect("a model value serialises");
                read::<T>(&written).expect("a listed item reads back");
            }
            page.items
        }
    }
}

fn scim_user(zoom: &ZoomUser) {
    let ctx = user::UserContext {
        base_url: BASE_URL,
        ..Default::default()
    };
    let id = zoom.id.clone().unwrap_or_else(|| "pending".into());
    let scim = user::user_resource(zoom, &id, &ctx);
    assert_eq!(scim["id"], id.as_str(), "{scim}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 12 {
        0 => {
            if let Some(zoom) = read::<ZoomUser>(body) {
                scim_user(&zoom);
            }
        }
        1 => page::<ZoomUser>(body, "users").iter().for_each(scim_user),
        2 => {
            for zoom in page::<Group>(body, "groups") {
                group::group_resource(
                    &zoom,
                    zoom.id.as_deref().unwrap_or("g"),
                    group::GroupExtras::default(),
                    BASE_URL,
                );
            }
        }
        3 => {
            let members = page::<Member>(body, "members");
            let zoom = Group {
                id: Some("g".into()),
                name: "G".into(),
                total_members: Some(members.len() as i64),
            };
            let extras = group::GroupExtras {
                members: Some(&members),
                external_id: None,
                last_modified: None,
            };
            let scim = group::group_resource(&zoom, "g", extras, BASE_URL);
            for member in &members {
                group::member_json(member, BASE_URL);
            }
            assert_eq!(scim["id"], "g");
        }
        4 => {
            read::<Group>(body);
        }
        5 => {
            page::<Role>(body, "roles");
            read::<Role>(body);
        }
        6 => {
            for listed in page::<PhoneUser>(body, "users") {
                user::PhoneView::from_listed(&listed, None);
            }
        }
        7 => {
            if let Some(profile) = read::<PhoneUserProfile>(body) {
                user::PhoneView::from_profile(&profile, None);
            }
        }
        8 => {
            page::<PhoneSite>(body, "sites");
        }
        9 => {
            page::<PhoneNumber>(body, "phone_numbers");
        }
        10 => {
            page::<AccountCallingPlan>(body, "calling_plans");
        }
        _ => {
            read::<Member>(body);
        }
    }
});
