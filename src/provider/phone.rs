//! Planning a user's Zoom Phone change: given the phone profile Zoom holds (or none)
//! and the phone attributes a SCIM write asks for, the ordered Zoom calls that get
//! there. Pure: no I/O; the user write path runs the calls (through
//! [`super::progress::Progress`]) and resolves site names to ids beforehand
//! ([`super::Lookups::site_by_name`]).
//!
//! Rules (issue #6, "Write"):
//! - The feature is enabled (`PATCH /users/{id}` `feature.zoom_phone=true`) before
//!   anything else phone-related; asking for any phone attribute of a user without a
//!   profile enables it too, since Zoom's native SCIM aliases carry no feature flag.
//! - Site and extension go in one `PATCH /phone/users/{id}`, only when they differ.
//!   Extension `"0"` means "auto-assign" (Zoom's native SCIM `zoomPhoneExtNumber`):
//!   Zoom picks one on enabling, an existing one is kept.
//! - Calling plans and numbers are set by difference against the profile, so a replace
//!   of the whole list works, and a replay only redoes what is missing: removals first
//!   (they free seats and numbers), then additions.
//! - Disabling the feature is the last step, and the only one: Zoom then unassigns the
//!   user's numbers and plans itself ([U] `PATCH /users/{userId}` `feature.zoom_phone`).

use crate::mapping::user::PhoneView;

/// [P] `POST /phone/users/{userId}/phone_numbers`: at most 10 numbers per call.
const NUMBERS_PER_CALL: usize = 10;

/// The extension a write asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionChoice {
    /// Whatever Zoom assigns (native SCIM `zoomPhoneExtNumber` `"0"`).
    Auto,
    /// This complete extension (site code + short extension).
    Number(String),
}

impl ExtensionChoice {
    /// `"0"` is auto-assign; anything else a complete extension.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "0" => Self::Auto,
            other => Self::Number(other.to_owned()),
        }
    }
}

/// The phone attributes a write asks for; `None` leaves an attribute as it is. Lists
/// are whole (after any SCIM PATCH ops were applied): the plan makes Zoom match them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredPhone {
    /// `zoomPhoneFeature`.
    pub feature: Option<bool>,
    /// `siteId` (or `siteName` resolved to an id).
    pub site_id: Option<String>,
    /// `extensionNumber`.
    pub extension: Option<ExtensionChoice>,
    /// `callingPlans` (native `zoomPhoneCallingPlan` `-1` is the empty list).
    pub calling_plans: Option<Vec<i64>>,
    /// `zoomPhoneNumbers`, E.164.
    pub numbers: Option<Vec<String>>,
}

impl DesiredPhone {
    /// Whether the write asks for any phone attribute besides the feature flag.
    fn asks_for_phone_attributes(&self) -> bool {
        self.site_id.is_some()
            || self.extension.is_some()
            || self.calling_plans.as_ref().is_some_and(|p| !p.is_empty())
            || self.numbers.as_ref().is_some_and(|n| !n.is_empty())
    }
}

/// One Zoom call of a phone change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneCall {
    /// `PATCH /users/{id}` `{"feature": {"zoom_phone": true}}`.
    EnableFeature,
    /// `PATCH /phone/users/{id}` with the fields that change.
    UpdateProfile {
        /// Move to this site.
        site_id: Option<String>,
        /// Take this complete extension.
        extension_number: Option<String>,
    },
    /// `DELETE /phone/users/{id}/calling_plans/{type}`.
    UnassignPlan(i64),
    /// `POST /phone/users/{id}/calling_plans`.
    AssignPlans(Vec<i64>),
    /// `DELETE /phone/users/{id}/phone_numbers/{number}`.
    UnassignNumber(String),
    /// `POST /phone/users/{id}/phone_numbers` (at most 10).
    AssignNumbers(Vec<String>),
    /// `PATCH /users/{id}` `{"feature": {"zoom_phone": false}}`.
    DisableFeature,
}

impl PhoneCall {
    /// A label for [`super::progress::Progress`] and error details.
    pub fn label(&self) -> String {
        match self {
            Self::EnableFeature => "enable Zoom Phone".to_owned(),
            Self::UpdateProfile {
                site_id,
                extension_number,
            } => match (site_id, extension_number) {
                (Some(s), Some(e)) => format!("move to phone site {s} with extension {e}"),
                (Some(s), None) => format!("move to phone site {s}"),
                (None, Some(e)) => format!("set extension {e}"),
                (None, None) => "update the phone profile".to_owned(),
            },
            Self::UnassignPlan(t) => format!("unassign calling plan {t}"),
            Self::AssignPlans(types) => format!(
                "assign calling plan{} {}",
                if types.len() == 1 { "" } else { "s" },
                join(types.iter().map(i64::to_string))
            ),
            Self::UnassignNumber(n) => format!("unassign phone number {n}"),
            Self::AssignNumbers(numbers) => format!(
                "assign phone number{} {}",
                if numbers.len() == 1 { "" } else { "s" },
                join(numbers.iter().cloned())
            ),
            Self::DisableFeature => "disable Zoom Phone".to_owned(),
        }
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Why a phone change cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhonePlanError {
    /// `zoomPhoneFeature=false` together with phone attributes a user without Zoom
    /// Phone cannot have.
    #[error(
        "zoomPhoneFeature is false but the request also sets {0}: a user without Zoom Phone has no site, extension, calling plans or numbers"
    )]
    FeatureOffWithAttributes(&'static str),
}

/// Digits of a number, to compare `+14155550100` with `14155550100`.
fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// The calls that take the profile from `current` (`None`: no Zoom Phone) to
/// `desired`, in the order they must run (see the module's rules).
pub fn plan_phone(
    current: Option<&PhoneView>,
    desired: &DesiredPhone,
) -> Result<Vec<PhoneCall>, PhonePlanError> {
    if desired.feature == Some(false) {
        let conflict = if desired.site_id.is_some() {
            Some("siteId")
        } else if matches!(desired.extension, Some(ExtensionChoice::Number(_))) {
            Some("extensionNumber")
        } else if desired
            .calling_plans
            .as_ref()
            .is_some_and(|p| !p.is_empty())
        {
            Some("callingPlans")
        } else if desired.numbers.as_ref().is_some_and(|n| !n.is_empty()) {
            Some("zoomPhoneNumbers")
        } else {
            None
        };
        if let Some(attribute) = conflict {
            return Err(PhonePlanError::FeatureOffWithAttributes(attribute));
        }
        return Ok(match current {
            Some(_) => vec![PhoneCall::DisableFeature],
            None => Vec::new(),
        });
    }

    let mut calls = Vec::new();
    let enabling =
        current.is_none() && (desired.feature == Some(true) || desired.asks_for_phone_attributes());
    if current.is_none() && !enabling {
        return Ok(calls);
    }
    if enabling {
        calls.push(PhoneCall::EnableFeature);
    }
    // After enabling, the profile is Zoom's fresh one: main site, an auto-assigned
    // extension, no plans, no numbers.
    let fresh = PhoneView::default();
    let now = current.unwrap_or(&fresh);

    let site_id = desired
        .site_id
        .clone()
        .filter(|s| enabling || now.site_id.as_deref() != Some(s.as_str()));
    let extension_number = match &desired.extension {
        Some(ExtensionChoice::Number(e))
            if enabling || site_id.is_some() || now.extension_number.as_deref() != Some(e) =>
        {
            Some(e.clone())
        }
        _ => None,
    };
    if site_id.is_some() || extension_number.is_some() {
        calls.push(PhoneCall::UpdateProfile {
            site_id,
            extension_number,
        });
    }

    if let Some(wanted) = &desired.calling_plans {
        for held in &now.calling_plans {
            if !wanted.contains(held) {
                calls.push(PhoneCall::UnassignPlan(*held));
            }
        }
        let mut added: Vec<i64> = Vec::new();
        for t in wanted {
            if !now.calling_plans.contains(t) && !added.contains(t) {
                added.push(*t);
            }
        }
        if !added.is_empty() {
            calls.push(PhoneCall::AssignPlans(added));
        }
    }

    if let Some(wanted) = &desired.numbers {
        let wanted_digits: Vec<String> = wanted.iter().map(|n| digits(n)).collect();
        let held_digits: Vec<String> = now.numbers.iter().map(|n| digits(n)).collect();
        for (held, d) in now.numbers.iter().zip(&held_digits) {
            if !wanted_digits.contains(d) {
                calls.push(PhoneCall::UnassignNumber(held.clone()));
            }
        }
        let mut added: Vec<String> = Vec::new();
        let mut added_digits: Vec<String> = Vec::new();
        for (number, d) in wanted.iter().zip(&wanted_digits) {
            if !held_digits.contains(d) && !added_digits.contains(d) {
                added.push(number.clone());
                added_digits.push(d.clone());
            }
        }
        for chunk in added.chunks(NUMBERS_PER_CALL) {
            calls.push(PhoneCall::AssignNumbers(chunk.to_vec()));
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> PhoneView {
        PhoneView {
            status: Some("activate".into()),
            site_id: Some("main".into()),
            site_name: Some("Main Site".into()),
            site_code: Some(1),
            extension_number: Some("10001".into()),
            calling_plans: vec![200],
            numbers: vec!["+14085550001".into()],
        }
    }

    #[test]
    fn nothing_asked_nothing_done() {
        assert_eq!(plan_phone(None, &DesiredPhone::default()), Ok(vec![]));
        assert_eq!(
            plan_phone(Some(&profile()), &DesiredPhone::default()),
            Ok(vec![])
        );
        // Asking for what Zoom holds already (numbers in another spelling): no call.
        let same = DesiredPhone {
            feature: Some(true),
            site_id: Some("main".into()),
            extension: Some(ExtensionChoice::Number("10001".into())),
            calling_plans: Some(vec![200]),
            numbers: Some(vec!["14085550001".into()]),
        };
        assert_eq!(plan_phone(Some(&profile()), &same), Ok(vec![]));
        // Auto-assign keeps an existing extension.
        let auto = DesiredPhone {
            extension: Some(ExtensionChoice::parse("0")),
            ..DesiredPhone::default()
        };
        assert_eq!(plan_phone(Some(&profile()), &auto), Ok(vec![]));
        // Turning off what is off.
        let off = DesiredPhone {
            feature: Some(false),
            ..DesiredPhone::default()
        };
        assert_eq!(plan_phone(None, &off), Ok(vec![]));
    }

    #[test]
    fn enabling_comes_first_then_profile_plans_and_numbers() {
        let desired = DesiredPhone {
            feature: Some(true),
            site_id: Some("london".into()),
            extension: Some(ExtensionChoice::Number("20005".into())),
            calling_plans: Some(vec![202, 202]),
            numbers: Some(vec!["+442012345678".into()]),
        };
        assert_eq!(
            plan_phone(None, &desired),
            Ok(vec![
                PhoneCall::EnableFeature,
                PhoneCall::UpdateProfile {
                    site_id: Some("london".into()),
                    extension_number: Some("20005".into()),
                },
                PhoneCall::AssignPlans(vec![202]),
                PhoneCall::AssignNumbers(vec!["+442012345678".into()]),
            ])
        );
        // Phone attributes alone (native SCIM aliases) enable the feature too.
        let implicit = DesiredPhone {
            extension: Some(ExtensionChoice::Auto),
            calling_plans: Some(vec![3000]),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(None, &implicit),
            Ok(vec![
                PhoneCall::EnableFeature,
                PhoneCall::AssignPlans(vec![3000])
            ])
        );
        // Removing everything from a user without a profile enables nothing.
        let empty_lists = DesiredPhone {
            calling_plans: Some(vec![]),
            numbers: Some(vec![]),
            ..DesiredPhone::default()
        };
        assert_eq!(plan_phone(None, &empty_lists), Ok(vec![]));
    }

    #[test]
    fn lists_are_replaced_by_difference_removals_first() {
        let mut current = profile();
        current.calling_plans = vec![200, 3000];
        current.numbers = vec!["+14085550001".into(), "+14085550002".into()];
        let desired = DesiredPhone {
            calling_plans: Some(vec![3000, 100]),
            numbers: Some(vec!["+14085550002".into(), "+14085550003".into()]),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&current), &desired),
            Ok(vec![
                PhoneCall::UnassignPlan(200),
                PhoneCall::AssignPlans(vec![100]),
                PhoneCall::UnassignNumber("+14085550001".into()),
                PhoneCall::AssignNumbers(vec!["+14085550003".into()]),
            ])
        );
        // `-1` (remove all plans) is the empty list.
        let none = DesiredPhone {
            calling_plans: Some(vec![]),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&current), &none),
            Ok(vec![
                PhoneCall::UnassignPlan(200),
                PhoneCall::UnassignPlan(3000)
            ])
        );
    }

    #[test]
    fn many_numbers_go_ten_per_call() {
        let numbers: Vec<String> = (0..23).map(|i| format!("+1408555{i:04}")).collect();
        let desired = DesiredPhone {
            numbers: Some(numbers.clone()),
            ..DesiredPhone::default()
        };
        let mut current = profile();
        current.numbers.clear();
        let calls = plan_phone(Some(&current), &desired).unwrap();
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| match c {
                PhoneCall::AssignNumbers(n) => n.len(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(sizes, vec![10, 10, 3]);
    }

    #[test]
    fn site_and_extension_changes_share_one_call() {
        let current = profile();
        let moved = DesiredPhone {
            site_id: Some("london".into()),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&current), &moved),
            Ok(vec![PhoneCall::UpdateProfile {
                site_id: Some("london".into()),
                extension_number: None,
            }])
        );
        let renumbered = DesiredPhone {
            extension: Some(ExtensionChoice::Number("10002".into())),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&current), &renumbered),
            Ok(vec![PhoneCall::UpdateProfile {
                site_id: None,
                extension_number: Some("10002".into()),
            }])
        );
        // A move keeps the same extension number only if it is sent again.
        let both = DesiredPhone {
            site_id: Some("london".into()),
            extension: Some(ExtensionChoice::Number("10001".into())),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&current), &both),
            Ok(vec![PhoneCall::UpdateProfile {
                site_id: Some("london".into()),
                extension_number: Some("10001".into()),
            }])
        );
    }

    #[test]
    fn disabling_is_last_and_alone() {
        let off = DesiredPhone {
            feature: Some(false),
            calling_plans: Some(vec![]),
            numbers: Some(vec![]),
            ..DesiredPhone::default()
        };
        assert_eq!(
            plan_phone(Some(&profile()), &off),
            Ok(vec![PhoneCall::DisableFeature])
        );
        let contradictory = DesiredPhone {
            feature: Some(false),
            numbers: Some(vec!["+14085550001".into()]),
            ..DesiredPhone::default()
        };
        let err = plan_phone(Some(&profile()), &contradictory).unwrap_err();
        assert_eq!(
            err,
            PhonePlanError::FeatureOffWithAttributes("zoomPhoneNumbers")
        );
        assert!(err.to_string().contains("zoomPhoneNumbers"));
    }

    #[test]
    fn labels_name_the_change() {
        assert_eq!(PhoneCall::EnableFeature.label(), "enable Zoom Phone");
        assert_eq!(
            PhoneCall::AssignPlans(vec![200, 3000]).label(),
            "assign calling plans 200, 3000"
        );
        assert_eq!(
            PhoneCall::UnassignNumber("+14085550001".into()).label(),
            "unassign phone number +14085550001"
        );
        assert_eq!(
            PhoneCall::UpdateProfile {
                site_id: None,
                extension_number: Some("10002".into())
            }
            .label(),
            "set extension 10002"
        );
    }
}
