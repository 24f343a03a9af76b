//! Listing users (`GET /Users`, `POST /Users/.search`): filter push-down, in-memory
//! evaluation where Zoom cannot filter, pending-user id resolution, deep enrichment and
//! the Zoom Phone join ([`crate::provider::phone_read`]).

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use tracing::Instrument;

use super::cursor::{DetailAhead, email_key};
use super::read::{Needs, Tables};
use crate::mapping::filter::{
    PhoneScope, UserSource, exactly_pushed_down, phone_scope, user_source,
};
use crate::provider::failure::zoom_failure;
use crate::provider::listing::{HELD_PAGE_MAX, ListSender, Listing, Window};
use crate::provider::phone_read::PhoneIndex;
use crate::provider::{Lookups, Provider};
use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::model::ListResponse;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::store::ResourceKind;
use crate::zoom::model::{ListPhoneUsersQuery, ListUsersQuery, UserStatus, ZoomUser};
use crate::zoom::{ZoomClient, ZoomError};

/// A phone-first search (a filter pinning phone attributes) reads the matching users'
/// records one by one (`GET /users/{id}`, Light) when at most this many phone users
/// match, else lists every user (`GET /users`, Medium, 300 a page) and keeps the phone
/// users: one by one wins for the usual `extensionNumber eq` or `zoomPhoneNumbers eq`
/// (one user), listing wins for a whole site of a small account.
const PHONE_FIRST_PER_USER_MAX: usize = 50;

/// A `meta.lastModified` search reads the changed users one by one (`GET /users/{id}`,
/// Light) up to this many; more are taken from the user listing (Medium, 300 a page).
const MODIFIED_PER_USER_MAX: usize = 300;

/// A user read in full, `(id, detail)`, or `None` when the user vanished (404).
pub(super) type Completed = Option<(String, ZoomUser)>;

/// Reads one user in full (by id, or by e-mail for invitees listed without one):
/// `Ok(None)` when the user vanished meanwhile.
pub(super) async fn fetch_detail(
    zoom: &ZoomClient,
    lookups: &Lookups,
    user: &ZoomUser,
) -> Result<Completed, ScimError> {
    // Pending users are looked up by e-mail: the answer carries the id and the detail
    // at once.
    let key = user.id.clone().unwrap_or_else(|| user.email.clone());
    match zoom.get_user(&key).await {
        Ok(detail) => match detail.id.clone() {
            Some(id) => {
                lookups.remember_id(&detail.email, &id).await;
                Ok(Some((id, detail)))
            }
            None => Ok(None),
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(zoom_failure(&e, &format!("read user {key}"))),
    }
}

impl Provider {
    /// `GET /Users` and `POST /Users/.search`.
    pub async fn list_users(self: &Arc<Self>, query: &ListQuery) -> Result<Listing, ScimError> {
        let schema = Self::user_schema();
        if let Some(filter) = &query.filter {
            filter.validate(schema)?;
        }
        let filter = query.filter.as_ref();
        let source = match user_source(filter) {
            // Changed users are read one by one unless so many changed that the listing
            // costs fewer calls.
            UserSource::ModifiedWhen { op, at } => {
                let ids = self.modified_ids(ResourceKind::User, op, at).await?;
                if ids.len() > MODIFIED_PER_USER_MAX {
                    UserSource::Listing {
                        statuses: UserStatus::ALL.to_vec(),
                        role_id: None,
                    }
                } else {
                    UserSource::ByIds(ids)
                }
            }
            other => other,
        };
        let deep_allowed = if filter.is_none() {
            self.settings.deep_import
        } else {
            self.settings.deep_get
        };
        let needs = Needs::for_request(&query.selection, filter, deep_allowed);
        let phone = phone_scope(filter);
        match source {
            UserSource::Empty => Ok(Listing::Page(ListResponse::new(
                0,
                query.start_index,
                Vec::new(),
            ))),
            UserSource::Listing { statuses, role_id } if exactly_pushed_down(filter) => {
                self.list_by_cursor(statuses, role_id, query, needs).await
            }
            UserSource::Listing { statuses, role_id } if phone.phone_users_only => {
                self.list_phone_first(statuses, role_id, &phone, query, needs)
                    .await
            }
            other => self.list_materialized(other, query, needs).await,
        }
    }

    /// Resolves ids of pending users (listed without one) and fetches details where
    /// needed, with bounded concurrency, preserving order; calls a lookahead started are
    /// awaited, not repeated. Users that vanished in the meantime are skipped.
    pub(super) async fn complete_users(
        &self,
        users: Vec<ZoomUser>,
        needs: Needs,
        mut ahead: HashMap<String, DetailAhead>,
    ) -> Result<Vec<(String, ZoomUser)>, ScimError> {
        let prepared: Vec<_> = users
            .into_iter()
            .map(|user| {
                let started = match (&user.id, needs.detail) {
                    (Some(_), false) => None,
                    _ => ahead.remove(&email_key(&user)),
                };
                (user, started)
            })
            .collect();
        // Collected first: a mapping closure kept inside this future trips rustc's
        // higher-ranked `Send` check on the shared futures' trait objects.
        let calls: Vec<_> = prepared
            .into_iter()
            .map(|(user, started)| self.complete_user(user, started, needs))
            .collect();
        let results: Vec<Result<Completed, ScimError>> = futures::stream::iter(calls)
            .buffered(self.deep_concurrency())
            .collect()
            .await;
        results.into_iter().filter_map(Result::transpose).collect()
    }

    /// One user of [`Self::complete_users`].
    async fn complete_user(
        &self,
        user: ZoomUser,
        started: Option<DetailAhead>,
        needs: Needs,
    ) -> Result<Completed, ScimError> {
        if let (Some(id), false) = (&user.id, needs.detail) {
            return Ok(Some((id.clone(), user)));
        }
        if let Some(started) = started {
            match started.await {
                Some(outcome) => return Ok(outcome),
                None => tracing::debug!(
                    email = %user.email,
                    "a detail call started ahead failed; repeating it"
                ),
            }
        } else {
            tracing::trace!(email = %user.email, "detail call not started ahead");
        }
        fetch_detail(&self.zoom, &self.lookups, &user).await
    }

    /// Listing that needs in-memory evaluation: every candidate is read, rendered and
    /// tested; the matching resources are the result (exact `totalResults`).
    async fn list_materialized(
        self: &Arc<Self>,
        source: UserSource,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<Listing, ScimError> {
        let candidates = self.candidates(&source).await?;
        // Group members carry no status: they always need the detail record.
        let needs = if matches!(source, UserSource::GroupMembers(_)) {
            Needs {
                detail: true,
                ..needs
            }
        } else {
            needs
        };
        // Users read one by one (`GET /users/{id}`) are detail records already.
        let detailed = matches!(
            source,
            UserSource::ById(_)
                | UserSource::ByEmail(_)
                | UserSource::ByExternalId(_)
                | UserSource::ByIds(_)
        );
        self.evaluate(candidates, query, needs, None, detailed)
            .await
    }

    /// A search pinned to phone users (see [`PhoneScope`]): the matching phone users
    /// come from `GET /phone/users` with the filter's site, plan and extension or
    /// number pushed down; their user records are then read one by one, or, for many,
    /// taken from the user listing. The whole filter is evaluated over the result.
    async fn list_phone_first(
        self: &Arc<Self>,
        statuses: Vec<UserStatus>,
        role_id: Option<String>,
        scope: &PhoneScope,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<Listing, ScimError> {
        let empty = || {
            Ok(Listing::Page(ListResponse::new(
                0,
                query.start_index,
                Vec::new(),
            )))
        };
        let sites = self.phone_sites().await?;
        if !sites.phone_enabled() {
            return empty();
        }
        // Every site term must name the same, existing site.
        let mut site_ids = Vec::new();
        if let Some(id) = &scope.site_id {
            site_ids.push(sites.get(id).and_then(|s| s.id.clone()));
        }
        if let Some(name) = &scope.site_name {
            let site = self
                .lookups
                .site_by_name(name)
                .await
                .map_err(|e| zoom_failure(&e, "list phone sites"))?;
            site_ids.push(site.and_then(|s| s.id));
        }
        if let Some(code) = scope.site_code {
            site_ids.push(sites.by_code(code).and_then(|s| s.id.clone()));
        }
        let site_id = match site_ids.split_first() {
            None => None,
            Some((Some(first), rest)) if rest.iter().all(|s| s.as_ref() == Some(first)) => {
                Some(first.clone())
            }
            Some(_) => return empty(),
        };
        let keyword = scope.extension.clone().or_else(|| {
            scope.number.as_deref().map(|n| {
                let digits: String = n.chars().filter(char::is_ascii_digit).collect();
                if digits.is_empty() {
                    n.to_owned()
                } else {
                    digits
                }
            })
        });
        let listing = ListPhoneUsersQuery {
            site_id,
            calling_type: scope.calling_plan,
            keyword,
            page_size: None,
        };
        let index = Arc::new(self.phone_listing(listing, &sites).await?);
        let (candidates, needs) = if index.len() <= PHONE_FIRST_PER_USER_MAX {
            let users = index
                .ids()
                .map(|id| ZoomUser {
                    id: Some(id.to_owned()),
                    ..ZoomUser::default()
                })
                .collect();
            // Only ids are known: every record is read.
            let needs = Needs {
                detail: true,
                ..needs
            };
            (users, needs)
        } else {
            let all = self
                .candidates(&UserSource::Listing { statuses, role_id })
                .await?;
            let users = all
                .into_iter()
                .filter(|u| u.id.as_deref().is_some_and(|id| index.has(id, u)))
                .collect();
            (users, needs)
        };
        self.evaluate(candidates, query, needs, Some(index), false)
            .await
    }

    /// The users a source yields, as Zoom lists them.
    async fn candidates(&self, source: &UserSource) -> Result<Vec<ZoomUser>, ScimError> {
        let candidates: Vec<ZoomUser> = match source {
            UserSource::ById(id) => match self.zoom.get_user(id).await {
                Ok(user) if user.id.as_deref() == Some(id.as_str()) => vec![user],
                Ok(_) => Vec::new(),
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => return Err(zoom_failure(&e, &format!("read user {id}"))),
            },
            // Answered from the store plus one Zoom read per id; ids Zoom no longer has
            // are dropped from the store.
            UserSource::ByExternalId(_) | UserSource::ByIds(_) => {
                let ids = match source {
                    UserSource::ByExternalId(external_id) => {
                        self.ids_by_external_id(ResourceKind::User, external_id)
                            .await?
                    }
                    UserSource::ByIds(ids) => ids.clone(),
                    _ => Vec::new(),
                };
                // Read as a deep listing reads: several at once, in order, the client
                // pacing them by Zoom's limits.
                let reads: Vec<(String, Result<ZoomUser, ZoomError>)> = futures::stream::iter(ids)
                    .map(|id| async move {
                        let read = self.zoom.get_user(&id).await;
                        (id, read)
                    })
                    .buffered(self.deep_concurrency())
                    .collect()
                    .await;
                let mut users = Vec::new();
                for (id, read) in reads {
                    match read {
                        Ok(user) if user.id.as_deref() == Some(id.as_str()) => users.push(user),
                        Ok(_) => {}
                        Err(e) if e.is_not_found() => {
                            self.forget_resource(ResourceKind::User, &id).await;
                        }
                        Err(e) => return Err(zoom_failure(&e, &format!("read user {id}"))),
                    }
                }
                users
            }
            UserSource::ByEmail(email) => match self.zoom.get_user(email).await {
                Ok(user) if user.email.eq_ignore_ascii_case(email) => vec![user],
                Ok(_) => Vec::new(),
                Err(e) if e.is_not_found() => Vec::new(),
                // An e-mail Zoom cannot parse is simply not a user.
                Err(e) if e.status == Some(400) => Vec::new(),
                Err(e) => return Err(zoom_failure(&e, "look a user up by e-mail")),
            },
            UserSource::GroupMembers(group_id) => {
                let members: Vec<_> =
                    match self.zoom.list_group_members(group_id).try_collect().await {
                        Ok(m) => m,
                        Err(e) if e.is_not_found() => Vec::new(),
                        Err(e) => {
                            return Err(zoom_failure(
                                &e,
                                &format!("list members of group {group_id}"),
                            ));
                        }
                    };
                members
                    .into_iter()
                    .map(|m| ZoomUser {
                        id: m.id,
                        email: m.email,
                        ..ZoomUser::default()
                    })
                    .collect()
            }
            UserSource::Listing { statuses, role_id } => {
                let mut all = Vec::new();
                for status in statuses {
                    let listing = ListUsersQuery {
                        status: Some(status.clone()),
                        role_id: role_id.clone(),
                        page_size: Some(self.zoom.default_page_size()),
                    };
                    let users: Vec<ZoomUser> = self
                        .zoom
                        .list_users(listing)
                        .try_collect()
                        .await
                        .map_err(|e| {
                            zoom_failure(&e, &format!("list {} users", status.as_str()))
                        })?;
                    all.extend(users);
                }
                all
            }
            UserSource::Empty => Vec::new(),
            // `list_users` turns it into ids or a listing first.
            UserSource::ModifiedWhen { .. } => {
                return Err(ScimError::internal(
                    "a meta.lastModified search reached the candidates unresolved",
                ));
            }
        };
        Ok(candidates)
    }

    /// Looks the managers' e-mails of `users` up several at once, so that rendering
    /// them one by one finds each id known. A failure is left for the render to report.
    async fn resolve_managers(&self, users: &[(String, ZoomUser)]) {
        let emails: std::collections::BTreeSet<String> = users
            .iter()
            .filter_map(|(_, u)| u.manager.as_deref().filter(|m| m.contains('@')))
            .map(str::to_ascii_lowercase)
            .collect();
        futures::stream::iter(emails)
            .map(|email| async move {
                let _ = self.lookups.id_for_email(&email).await;
            })
            .buffer_unordered(self.deep_concurrency())
            .collect::<Vec<()>>()
            .await;
    }

    /// Completes, renders and tests `candidates` against the query's filter, a chunk
    /// at a time; the matching resources are the result (exact `totalResults`).
    /// Phone attributes come from `phone` when given, else from
    /// [`Self::phone_for_page`]. `detailed`: the candidates are detail records, read
    /// one by one. An answer longer than [`HELD_PAGE_MAX`] is streamed, its
    /// `totalResults` counted on the way.
    async fn evaluate(
        self: &Arc<Self>,
        candidates: Vec<ZoomUser>,
        query: &ListQuery,
        needs: Needs,
        phone: Option<Arc<PhoneIndex>>,
        detailed: bool,
    ) -> Result<Listing, ScimError> {
        let mut evaluation = Evaluation {
            needs,
            completion: Needs {
                detail: needs.detail && !detailed,
                ..needs
            },
            tables: self.tables(needs).await?,
            phone,
            filter: query.filter.clone(),
            selection: query.selection.clone(),
            window: Window::new(query.start_index, query.page_len()),
            matched: 0,
        };
        let streamed = query.page_len() > HELD_PAGE_MAX && candidates.len() > HELD_PAGE_MAX;
        let mut candidates = candidates.into_iter();
        if !streamed {
            let mut page = Vec::new();
            loop {
                let chunk: Vec<ZoomUser> = candidates.by_ref().take(EVALUATION_CHUNK).collect();
                if chunk.is_empty() {
                    break;
                }
                page.extend(self.evaluate_chunk(chunk, &mut evaluation).await?);
            }
            return Ok(Listing::Page(ListResponse::new(
                evaluation.matched,
                query.start_index,
                page,
            )));
        }
        let (tx, stream) = ListSender::channel(query.start_index, None);
        let provider = Arc::clone(self);
        tokio::spawn(
            async move {
                let outcome: Result<Option<usize>, ScimError> = async {
                    loop {
                        let chunk: Vec<ZoomUser> =
                            candidates.by_ref().take(EVALUATION_CHUNK).collect();
                        if chunk.is_empty() {
                            return Ok(Some(evaluation.matched));
                        }
                        let page = provider.evaluate_chunk(chunk, &mut evaluation).await?;
                        if !tx.resources(page).await {
                            tracing::info!("The client left a streamed listing; it stops.");
                            return Ok(None);
                        }
                    }
                }
                .await;
                match outcome {
                    Ok(Some(total)) => tx.finish(Ok(Some(total))).await,
                    Ok(None) => {}
                    Err(e) => tx.finish(Err(e)).await,
                }
            }
            .instrument(tracing::Span::current()),
        );
        Ok(Listing::Streamed(stream))
    }

    /// One chunk of [`Self::evaluate`]: the chunk's matches inside the query's window,
    /// projected; every match is counted.
    async fn evaluate_chunk(
        &self,
        chunk: Vec<ZoomUser>,
        evaluation: &mut Evaluation,
    ) -> Result<Vec<Value>, ScimError> {
        let schema = Self::user_schema();
        let users = self
            .complete_users(chunk, evaluation.completion, HashMap::new())
            .await?;
        evaluation.tables.set_extras(self.page_extras(&users).await);
        let phone = if evaluation.needs.phone {
            let (index, fresh) = self
                .phone_for_page(&users, evaluation.phone.clone())
                .await?;
            if fresh {
                evaluation.phone = Some(index.clone());
            }
            Some(index)
        } else {
            None
        };
        if evaluation.needs.manager {
            self.resolve_managers(&users).await;
        }
        let mut rendered = Vec::with_capacity(users.len());
        for (id, user) in &users {
            let view = phone.as_ref().map(|p| p.of(id, user));
            let view = view.as_ref().map(Option::as_ref);
            let (json, version) = self
                .render(user, id, evaluation.needs, &evaluation.tables, view)
                .await?;
            rendered.push((id.clone(), version, json));
        }
        self.note_full_reads(&mut rendered).await;
        let mut page = Vec::new();
        for (_, _, json) in rendered {
            if evaluation
                .filter
                .as_ref()
                .is_none_or(|f| f.matches(&json, schema))
            {
                if evaluation.window.holds(evaluation.matched) {
                    page.push(evaluation.selection.project(&json, schema));
                }
                evaluation.matched += 1;
            }
        }
        Ok(page)
    }
}

/// Candidates a listing evaluated here completes, renders and tests at a time.
const EVALUATION_CHUNK: usize = 300;

/// What an evaluation of candidates carries from chunk to chunk.
struct Evaluation {
    needs: Needs,
    /// `needs`, less the detail call when the candidates are detail records already.
    completion: Needs,
    tables: Tables,
    /// The phone-user listing, once read (or given).
    phone: Option<Arc<PhoneIndex>>,
    filter: Option<Filter>,
    selection: AttributeSelection,
    window: Window,
    /// Matches met so far.
    matched: usize,
}
