//! The Zoom Phone family: `/phone/users` (profile, calling plans, numbers), sites, the
//! account's numbers and calling plans.

use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::json;

use super::{MAX_PAGE_PHONE_NUMBERS, MAX_PAGE_PHONE_USERS, MAX_PAGE_SITES};
use crate::zoom::ZoomClient;
use crate::zoom::client::{EffectCheck, Op, Request, config_error};
use crate::zoom::error::ZoomError;
use crate::zoom::limits::Category::{Light, Medium};
use crate::zoom::model::{
    AccountCallingPlan, ListPhoneUsersQuery, PhoneNumber, PhoneNumberFilter, PhoneNumberRef,
    PhoneSite, PhoneUser, PhoneUserProfile, UpdatePhoneUser,
};
use crate::zoom::paging::{Page, paginate};
use crate::zoom::path::seg;

const LIST_PHONE_USERS: Op = Op::phone("GET", "/phone/users", Medium);
const GET_PHONE_USER: Op = Op::phone("GET", "/phone/users/{userId}", Light);
const UPDATE_PHONE_USER: Op = Op::phone("PATCH", "/phone/users/{userId}", Light);
const ASSIGN_CALLING_PLANS: Op = Op::phone("POST", "/phone/users/{userId}/calling_plans", Light);
const UNASSIGN_CALLING_PLAN: Op = Op::phone(
    "DELETE",
    "/phone/users/{userId}/calling_plans/{planType}",
    Light,
);
const ASSIGN_PHONE_NUMBERS: Op = Op::phone("POST", "/phone/users/{userId}/phone_numbers", Light);
const UNASSIGN_PHONE_NUMBER: Op = Op::phone(
    "DELETE",
    "/phone/users/{userId}/phone_numbers/{phoneNumberId}",
    Light,
);
const LIST_SITES: Op = Op::phone("GET", "/phone/sites", Medium);
const LIST_PHONE_NUMBERS: Op = Op::phone("GET", "/phone/numbers", Medium);
const LIST_CALLING_PLANS: Op = Op::phone("GET", "/phone/calling_plans", Medium);

impl ZoomClient {
    /// One page of `GET /phone/users` (at most 100 per page).
    pub async fn list_phone_users_page(
        &self,
        query: &ListPhoneUsersQuery,
        next_page_token: Option<&str>,
    ) -> Result<Page<PhoneUser>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(query.page_size, MAX_PAGE_PHONE_USERS)
                .to_string(),
        )];
        if let Some(site_id) = &query.site_id {
            q.push(("site_id", site_id.clone()));
        }
        if let Some(calling_type) = query.calling_type {
            q.push(("calling_type", calling_type.to_string()));
        }
        if let Some(keyword) = &query.keyword {
            q.push(("keyword", keyword.clone()));
        }
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(LIST_PHONE_USERS, "/phone/users".into()).query(q),
            "users",
        )
        .await
    }

    /// Every phone user matching `query`.
    pub fn list_phone_users(
        &self,
        query: ListPhoneUsersQuery,
    ) -> BoxStream<'static, Result<PhoneUser, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                let query = query.clone();
                async move { client.list_phone_users_page(&query, token.as_deref()).await }
            },
            |user: &PhoneUser| {
                user.id
                    .clone()
                    .or_else(|| user.email.as_ref().map(|e| e.to_lowercase()))
            },
        )
    }

    /// `GET /phone/users/{userId}` (a user without Zoom Phone gives NotFound).
    pub async fn get_phone_user(&self, id: &str) -> Result<PhoneUserProfile, ZoomError> {
        self.call_json(Request::new(
            GET_PHONE_USER,
            format!("/phone/users/{}", seg(id)),
        ))
        .await
    }

    /// `PATCH /phone/users/{userId}`: extension and site.
    pub async fn update_phone_user(
        &self,
        id: &str,
        update: &UpdatePhoneUser,
    ) -> Result<(), ZoomError> {
        let body = serde_json::to_value(update)
            .map_err(|e| config_error(format!("cannot encode the update: {e}")))?;
        self.call_unit(
            Request::new(UPDATE_PHONE_USER, format!("/phone/users/{}", seg(id))).json(body),
        )
        .await
    }

    /// `POST /phone/users/{userId}/calling_plans` (201 live, 200 in the spec). A lost
    /// answer is checked against the user's profile before any replay.
    pub async fn assign_calling_plans(
        &self,
        id: &str,
        plan_types: &[i64],
    ) -> Result<(), ZoomError> {
        let wanted = plan_types.to_vec();
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            let wanted = wanted.clone();
            Box::pin(async move {
                let profile = self.get_phone_user(id).await?;
                let all_there = wanted.iter().all(|t| {
                    profile
                        .calling_plans
                        .iter()
                        .any(|p| p.plan_type == Some(*t))
                });
                Ok(all_there.then(Bytes::new))
            })
        });
        let body = json!({
            "calling_plans": plan_types.iter().map(|t| json!({ "type": t })).collect::<Vec<_>>()
        });
        self.call_unit(
            Request::new(
                ASSIGN_CALLING_PLANS,
                format!("/phone/users/{}/calling_plans", seg(id)),
            )
            .json(body)
            .check(check),
        )
        .await
    }

    /// `DELETE /phone/users/{userId}/calling_plans/{planType}`.
    pub async fn unassign_calling_plan(&self, id: &str, plan_type: i64) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            UNASSIGN_CALLING_PLAN,
            format!("/phone/users/{}/calling_plans/{plan_type}", seg(id)),
        ))
        .await
    }

    /// `POST /phone/users/{userId}/phone_numbers` (201 live). Returns the numbers Zoom
    /// reports as assigned. A lost answer is checked against the user's profile before
    /// any replay.
    pub async fn assign_phone_numbers(
        &self,
        id: &str,
        numbers: &[PhoneNumberRef],
    ) -> Result<Vec<PhoneNumberRef>, ZoomError> {
        let wanted = numbers.to_vec();
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            let wanted = wanted.clone();
            Box::pin(async move {
                let profile = self.get_phone_user(id).await?;
                // The numbers asked for, as the profile holds them (Zoom's answer would
                // have listed exactly these).
                let held: Vec<&PhoneNumberRef> = wanted
                    .iter()
                    .filter_map(|w| {
                        profile.phone_numbers.iter().find(|p| {
                            (w.id.is_some() && p.id == w.id) || same_number(&w.number, &p.number)
                        })
                    })
                    .collect();
                Ok((held.len() == wanted.len())
                    .then(|| serde_json::to_vec(&json!({ "phone_numbers": held })).ok())
                    .flatten()
                    .map(Bytes::from))
            })
        });
        let request = Request::new(
            ASSIGN_PHONE_NUMBERS,
            format!("/phone/users/{}/phone_numbers", seg(id)),
        )
        .json(json!({ "phone_numbers": numbers }))
        .check(check);
        let response = self.execute(&request).await?;
        let page: Page<PhoneNumberRef> = if response.body.iter().all(u8::is_ascii_whitespace) {
            Page {
                items: Vec::new(),
                next_page_token: None,
                total_records: None,
            }
        } else {
            Page::from_body(
                &response.body,
                "phone_numbers",
                request.op.method,
                request.op.path,
            )?
        };
        Ok(if page.items.is_empty() {
            numbers.to_vec()
        } else {
            page.items
        })
    }

    /// `DELETE /phone/users/{userId}/phone_numbers/{phoneNumberId}` (number id or number).
    pub async fn unassign_phone_number(
        &self,
        id: &str,
        id_or_number: &str,
    ) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            UNASSIGN_PHONE_NUMBER,
            format!(
                "/phone/users/{}/phone_numbers/{}",
                seg(id),
                seg(id_or_number)
            ),
        ))
        .await
    }

    /// Every phone site (`GET /phone/sites`).
    pub fn list_sites(&self) -> BoxStream<'static, Result<PhoneSite, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move {
                    let mut q = vec![(
                        "page_size",
                        client.page_size(None, MAX_PAGE_SITES).to_string(),
                    )];
                    if let Some(token) = token {
                        q.push(("next_page_token", token));
                    }
                    client
                        .call_page(
                            Request::new(LIST_SITES, "/phone/sites".into()).query(q),
                            "sites",
                        )
                        .await
                }
            },
            |site: &PhoneSite| site.id.clone(),
        )
    }

    /// Every account phone number of `filter` (`GET /phone/numbers?type=`).
    pub fn list_phone_numbers(
        &self,
        filter: PhoneNumberFilter,
    ) -> BoxStream<'static, Result<PhoneNumber, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move {
                    let mut q = vec![
                        ("type", filter.as_str().to_owned()),
                        (
                            "page_size",
                            client.page_size(None, MAX_PAGE_PHONE_NUMBERS).to_string(),
                        ),
                    ];
                    if let Some(token) = token {
                        q.push(("next_page_token", token));
                    }
                    client
                        .call_page(
                            Request::new(LIST_PHONE_NUMBERS, "/phone/numbers".into()).query(q),
                            "phone_numbers",
                        )
                        .await
                }
            },
            |number: &PhoneNumber| number.id.clone().or_else(|| number.number.clone()),
        )
    }

    /// The account's calling-plan subscriptions (`GET /phone/calling_plans`, not paged).
    pub async fn list_calling_plans(&self) -> Result<Vec<AccountCallingPlan>, ZoomError> {
        let page: Page<AccountCallingPlan> = self
            .call_page(
                Request::new(LIST_CALLING_PLANS, "/phone/calling_plans".into()),
                "calling_plans",
            )
            .await?;
        Ok(page.items)
    }
}

/// Whether two phone numbers are the same E.164 number, whatever their formatting
/// (`+14155550100`, `14155550100`, `+1 415 555 0100`).
fn same_number(a: &Option<String>, b: &Option<String>) -> bool {
    let digits = |n: &Option<String>| -> Option<String> {
        let d: String = n.as_deref()?.chars().filter(char::is_ascii_digit).collect();
        (!d.is_empty()).then_some(d)
    };
    matches!((digits(a), digits(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_digits() {
        let n = |s: &str| Some(s.to_owned());
        assert!(same_number(&n("+14155550100"), &n("14155550100")));
        assert!(same_number(&n("+1 415 555-0100"), &n("+14155550100")));
        assert!(!same_number(&n("+14155550100"), &n("+14155550101")));
        assert!(!same_number(&None, &None));
        assert!(!same_number(&n("+"), &n("")));
    }
}
