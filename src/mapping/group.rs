//! Zoom group (+ members) <-> SCIM Group, and what a SCIM Group write asks Zoom to do:
//! POST/PUT bodies -> name and member ids, PATCH operations -> a rename and member
//! operations, and the narrowest Zoom source for a Group filter. Pure, no I/O.
//!
//! The member side of a PATCH is interpreted here rather than by the generic engine
//! (`crate::scim::patch`) so that adding one member to a group of 10,000 does not need
//! the 10,000 current members: only operations that depend on the current list
//! (replace, remove all, remove by a general filter) require reading it.

use std::collections::HashSet;

use indexmap::IndexSet;
use serde_json::{Map, Value, json};

use crate::mapping::user::{encode_id, user_location};
use crate::scim::error::{ScimError, clip};
use crate::scim::model::{urn, weak_etag};
use crate::scim::patch::{PatchOpKind, PatchOperation, PatchRequest};
use crate::scim::path::PatchPath;
use crate::scim::resource::{external_id, normalize_input};
use crate::scim::schema::SchemaRegistry;
use crate::scim::{AttrPath, CompValue, CompareOp, Filter, get_ci};
use crate::zoom::model::{Group, Member};

/// Longest group name Zoom accepts: "less than 128 characters" (Zoom Users API,
/// `PATCH /groups/{groupId}` `name`).
pub const MAX_NAME_CHARS: usize = 127;

/// The canonical location of a group.
pub fn group_location(base_url: &str, id: &str) -> String {
    format!("{base_url}/Groups/{}", encode_id(id))
}

/// One SCIM `members` value for a Zoom member: `value` (user id), `display` (e-mail),
/// `$ref` and `type: "User"` (Zoom groups hold users only). `None` for a member
/// without id (Zoom always sends one; a member without it cannot be referenced).
pub fn member_json(member: &Member, base_url: &str) -> Option<Value> {
    let id = member.id.as_deref().filter(|id| !id.is_empty())?;
    let mut m = Map::new();
    m.insert("value".into(), json!(id));
    if !member.email.is_empty() {
        m.insert("display".into(), json!(member.email));
    }
    m.insert("$ref".into(), json!(user_location(base_url, id)));
    m.insert("type".into(), json!("User"));
    Some(Value::Object(m))
}

/// The version (weak ETag) of a group. It covers exactly what a SCIM client can change
/// and the service keeps: the id, the name, the set of member ids (sorted, so Zoom's
/// listing order does not matter) and the `externalId` when there is one (a group
/// without keeps the version it had before the store). Members' e-mails (`display`)
/// are not part of it.
pub fn group_version<'a>(
    id: &str,
    name: &str,
    member_ids: impl IntoIterator<Item = &'a str>,
    external_id: Option<&str>,
) -> String {
    let mut ids: Vec<&str> = member_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut covered = json!({"id": id, "displayName": name, "members": ids});
    if let Some(external_id) = external_id {
        covered["externalId"] = json!(external_id);
    }
    weak_etag(&covered)
}

/// What the service knows of a group beyond Zoom's record.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupExtras<'a> {
    /// The whole member list (`GET /groups/{groupId}/members`), when read.
    pub members: Option<&'a [Member]>,
    /// The client's `externalId`, from the store.
    pub external_id: Option<&'a str>,
    /// `meta.lastModified`, from the store.
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// Maps a Zoom group to SCIM Group JSON. With `members` (the whole list, as read from
/// `GET /groups/{groupId}/members`) the resource carries `members` and `meta.version`;
/// without, neither (the version cannot be known without the member list).
pub fn group_resource(group: &Group, id: &str, extras: GroupExtras<'_>, base_url: &str) -> Value {
    let GroupExtras {
        members,
        external_id,
        last_modified,
    } = extras;
    let mut out = Map::new();
    out.insert("schemas".into(), json!([urn::GROUP]));
    out.insert("id".into(), json!(id));
    if let Some(external_id) = external_id.filter(|e| !e.is_empty()) {
        out.insert("externalId".into(), json!(external_id));
    }
    out.insert("displayName".into(), json!(group.name));
    let mut meta = Map::new();
    meta.insert("resourceType".into(), json!("Group"));
    meta.insert("location".into(), json!(group_location(base_url, id)));
    if let Some(time) = last_modified {
        meta.insert(
            "lastModified".into(),
            json!(crate::mapping::user::meta_time(time)),
        );
    }
    if let Some(members) = members {
        let values: Vec<Value> = members
            .iter()
            .filter_map(|m| member_json(m, base_url))
            .collect();
        let version = group_version(
            id,
            &group.name,
            members.iter().filter_map(|m| m.id.as_deref()),
            external_id,
        );
        if !values.is_empty() {
            out.insert("members".into(), Value::Array(values));
        }
        meta.insert("version".into(), json!(version));
    }
    out.insert("meta".into(), Value::Object(meta));
    Value::Object(out)
}

/// A POST/PUT Group body, reduced to what Zoom stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    /// `displayName`, trimmed (Zoom stores names trimmed).
    pub display_name: String,
    /// Member user ids in request order without duplicates; `None` when the body has no
    /// `members` key at all (`null` or `[]` give `Some(empty)`).
    pub members: Option<Vec<String>>,
    /// `externalId` (RFC 7643 section 3.1), kept by the store; `None` when absent.
    pub external_id: Option<String>,
    /// Attributes the Group schema does not publish (ignored).
    pub ignored: Vec<String>,
}

/// Reads a POST/PUT body: `displayName` required (400 `invalidValue`), a non-blank
/// string under 128 characters; `members` values must carry a user id in `value`.
/// Extra schema URNs (Entra's `http://schemas.microsoft.com/...ADSCIM/2.0/Group`),
/// `meta`, `id` and unknown attributes are ignored (RFC 7644 section 3.3).
pub fn group_input(body: &Value) -> Result<GroupInput, ScimError> {
    let schema = SchemaRegistry::global().group();
    let normalized = normalize_input(body, schema)?;
    let display_name = match normalized.resource.get("displayName") {
        Some(Value::String(name)) => checked_name(name)?,
        _ => {
            return Err(ScimError::invalid_value(
                "'displayName' is required (the Zoom group name)",
            ));
        }
    };
    let raw_members = body.as_object().and_then(|map| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("members"))
            .map(|(_, v)| v)
    });
    let members = match raw_members {
        None => None,
        Some(raw) => Some(member_ids(raw, "members")?),
    };
    Ok(GroupInput {
        display_name,
        members,
        external_id: external_id(&normalized.resource)?,
        ignored: normalized.ignored,
    })
}

/// A group name as Zoom will store it: trimmed, not blank, under 128 characters.
pub fn checked_name(name: &str) -> Result<String, ScimError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(ScimError::invalid_value("'displayName' must not be blank"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(ScimError::invalid_value(format!(
            "'displayName' must be shorter than {} characters (Zoom's limit)",
            MAX_NAME_CHARS + 1
        )));
    }
    Ok(trimmed.to_owned())
}

/// Member user ids from a `members` value: an array (or a single value) of objects with
/// `value` (`$ref`, `display` ignored; Entra sends `"$ref": null`) or of bare id strings.
/// `null` and `[]` give no ids. A value without id, or a `type` other than `User`
/// (Zoom groups cannot nest), is 400 `invalidValue`. Duplicates are dropped.
pub fn member_ids(value: &Value, label: &str) -> Result<Vec<String>, ScimError> {
    let items: Vec<&Value> = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut ids = IndexSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let id = match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(_) => {
                if let Some(kind) = get_ci(item, "type").and_then(Value::as_str)
                    && !kind.eq_ignore_ascii_case("User")
                {
                    return Err(ScimError::invalid_value(format!(
                        "{label}[{i}]: type '{}' is not supported; Zoom groups contain users only",
                        clip(kind)
                    )));
                }
                get_ci(item, "value").and_then(Value::as_str)
            }
            _ => None,
        };
        match id.map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => {
                ids.insert(id.to_owned());
            }
            None => {
                return Err(ScimError::invalid_value(format!(
                    "{label}[{i}] must carry the member's user id in 'value'"
                )));
            }
        }
    }
    Ok(ids.into_iter().collect())
}

/// One change to a group's members, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberOp {
    /// Add these users (already members: no change).
    Add(Vec<String>),
    /// Remove these users (not members: no change, RFC 7644 section 3.5.2.2 removes the
    /// matching values, of which there are none).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make the members exactly these users.
    Replace(Vec<String>),
    /// Remove the members matching a value filter (`members[display ew "@x.com"]`).
    RemoveMatching(Filter),
}

impl MemberOp {
    /// Whether the operation needs the current member list to know its effect.
    pub fn needs_current(&self) -> bool {
        matches!(
            self,
            Self::RemoveAll | Self::Replace(_) | Self::RemoveMatching(_)
        )
    }
}

/// What a Group PATCH asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupPatch {
    /// The new name, when it differs from the current one.
    pub rename: Option<String>,
    /// Member operations, in order.
    pub member_ops: Vec<MemberOp>,
    /// The new `externalId` (`Some(None)`: removed), when it differs from the current
    /// one; kept by the store.
    pub external_id: Option<Option<String>>,
}

impl GroupPatch {
    /// Interprets a PATCH request against the group's id and current name, in every
    /// dialect of docs/clients.md: Entra (`Add`/`Remove` on `members` with value arrays,
    /// `Replace` of `displayName`), Okta (no-path `replace` of `{id, displayName}`,
    /// `remove` by `members[value eq "..."]`, full `replace` of `members`), ConnId
    /// (no-path `replace` of the whole group, `members` value arrays).
    ///
    /// Operations on `members` become [`MemberOp`]s; every other operation goes through
    /// the generic PATCH engine over `{id, displayName}`, which enforces mutability
    /// (`id` is readOnly), `displayName` being required, and unknown paths. Errors are
    /// RFC 7644 section 3.12 400s; nothing is applied when any operation is invalid.
    pub fn from_request(
        request: &PatchRequest,
        id: &str,
        current_name: &str,
        current_external_id: Option<&str>,
    ) -> Result<Self, ScimError> {
        let schema = SchemaRegistry::global().group();
        let members_attr = schema
            .core
            .attribute("members")
            .ok_or_else(|| ScimError::internal("the Group schema does not define 'members'"))?;
        let mut member_ops = Vec::new();
        let mut engine_ops = Vec::new();
        for (index, op) in request.operations.iter().enumerate() {
            let label = format!("Operations[{index}]");
            match &op.path {
                Some(path) if is_members(&path.attr) => {
                    member_ops.push(member_path_op(op, path, members_attr, &label)?);
                }
                Some(_) => engine_ops.push(op.clone()),
                None => {
                    let Some(Value::Object(entries)) = &op.value else {
                        // The engine gives the standard error for a non-object value.
                        engine_ops.push(op.clone());
                        continue;
                    };
                    let mut rest = Map::new();
                    for (key, value) in entries {
                        if AttrPath::parse(key)
                            .is_some_and(|p| is_members(&p) && p.sub_attr.is_none())
                        {
                            let ids = member_ids(value, &format!("{label}.value.{key}"))?;
                            member_ops.push(match op.op {
                                PatchOpKind::Add => MemberOp::Add(ids),
                                _ => MemberOp::Replace(ids),
                            });
                        } else {
                            rest.insert(key.clone(), value.clone());
                        }
                    }
                    if !rest.is_empty() {
                        engine_ops.push(PatchOperation {
                            op: op.op,
                            path: None,
                            value: Some(Value::Object(rest)),
                        });
                    }
                }
            }
        }
        let mut rename = None;
        let mut new_external_id = None;
        if !engine_ops.is_empty() {
            let mut resource =
                json!({"schemas": [urn::GROUP], "id": id, "displayName": current_name});
            if let Some(external_id) = current_external_id {
                resource["externalId"] = json!(external_id);
            }
            PatchRequest {
                operations: engine_ops,
            }
            .apply(&mut resource, schema)?;
            let name = match resource.get("displayName") {
                Some(Value::String(name)) => checked_name(name)?,
                _ => {
                    return Err(ScimError::invalid_value("'displayName' must be a string"));
                }
            };
            if name != current_name {
                rename = Some(name);
            }
            let external_id = external_id(&resource)?;
            if external_id.as_deref() != current_external_id {
                new_external_id = Some(external_id);
            }
        }
        Ok(GroupPatch {
            rename,
            member_ops,
            external_id: new_external_id,
        })
    }

    /// Whether the member operations need the current member list.
    pub fn needs_current_members(&self) -> bool {
        self.member_ops.iter().any(MemberOp::needs_current)
    }

    /// Whether every operation of `request` names `members` by path: the group's
    /// current name then plays no part.
    pub fn members_only(request: &PatchRequest) -> bool {
        request
            .operations
            .iter()
            .all(|op| op.path.as_ref().is_some_and(|p| is_members(&p.attr)))
    }
}

/// `members` or `urn:ietf:params:scim:schemas:core:2.0:Group:members` (any case).
fn is_members(path: &AttrPath) -> bool {
    path.attr.eq_ignore_ascii_case("members")
        && path
            .urn
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(urn::GROUP))
}

fn member_path_op(
    op: &PatchOperation,
    path: &PatchPath,
    members_attr: &crate::scim::schema::Attribute,
    label: &str,
) -> Result<MemberOp, ScimError> {
    if let Some(sub) = path.target_sub_attr() {
        // RFC 7643 section 4.2: members' `value`, `$ref` and `type` are immutable and
        // `display` readOnly: a member is added or removed, never edited.
        return Err(ScimError::mutability(format!(
            "{label}: 'members.{sub}' cannot be modified; add or remove the member instead"
        )));
    }
    let is_clear = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    let value_label = format!("{label}.value");
    match (&path.filter, op.op) {
        (Some(filter), PatchOpKind::Remove) => {
            filter
                .validate_value_filter(members_attr)
                .map_err(|e| ScimError::invalid_path(format!("{label}: {}", e.detail)))?;
            Ok(match value_eq_ids(filter) {
                Some(ids) => MemberOp::Remove(ids),
                None => MemberOp::RemoveMatching(filter.clone()),
            })
        }
        (Some(_), _) => Err(ScimError::mutability(format!(
            "{label}: members matched by a filter can only be removed; add or replace 'members' instead"
        ))),
        (None, PatchOpKind::Add) => Ok(MemberOp::Add(member_ids(
            op.value.as_ref().unwrap_or(&Value::Null),
            &value_label,
        )?)),
        (None, PatchOpKind::Replace) => Ok(MemberOp::Replace(member_ids(
            op.value.as_ref().unwrap_or(&Value::Null),
            &value_label,
        )?)),
        // RFC 7644 section 3.5.2.2: remove without a filter removes every value; Entra's
        // legacy form and ConnId list the values to remove instead.
        (None, PatchOpKind::Remove) if is_clear(op.value.as_ref()) => Ok(MemberOp::RemoveAll),
        (None, PatchOpKind::Remove) => Ok(MemberOp::Remove(member_ids(
            op.value.as_ref().unwrap_or(&Value::Null),
            &value_label,
        )?)),
    }
}

/// The ids of a filter made only of `value eq "id"` terms joined by `or`.
fn value_eq_ids(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Or(a, b) => {
            let mut ids = value_eq_ids(a)?;
            ids.extend(value_eq_ids(b)?);
            Some(ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.urn.is_none()
            && path.sub_attr.is_none()
            && path.attr.eq_ignore_ascii_case("value") =>
        {
            Some(vec![id.clone()])
        }
        _ => None,
    }
}

/// The members to add and remove so that Zoom ends up as the operations ask.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberChanges {
    /// User ids to add, in request order.
    pub add: Vec<String>,
    /// User ids to remove.
    pub remove: Vec<String>,
    /// Whether `add`/`remove` are exact differences against the current members
    /// (computed with the member list); otherwise `add` may name existing members and
    /// `remove` non-members, which the caller must treat as no-ops.
    pub exact: bool,
}

impl MemberChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// Evaluates member operations in order. With `current` (every current member as SCIM
/// member JSON) the result is the exact difference; without, only [`MemberOp::Add`]
/// and [`MemberOp::Remove`] are allowed and the result is their net effect (an id added
/// then removed is removed, and the reverse).
pub fn member_changes(
    ops: &[MemberOp],
    current: Option<&[Value]>,
) -> Result<MemberChanges, ScimError> {
    let Some(current) = current else {
        let mut add: IndexSet<String> = IndexSet::new();
        let mut remove: IndexSet<String> = IndexSet::new();
        for op in ops {
            match op {
                MemberOp::Add(ids) => {
                    for id in ids {
                        remove.shift_remove(id);
                        add.insert(id.clone());
                    }
                }
                MemberOp::Remove(ids) => {
                    for id in ids {
                        add.shift_remove(id);
                        remove.insert(id.clone());
                    }
                }
                other => {
                    return Err(ScimError::internal(format!(
                        "member operation {other:?} needs the current member list"
                    )));
                }
            }
        }
        return Ok(MemberChanges {
            add: add.into_iter().collect(),
            remove: remove.into_iter().collect(),
            exact: false,
        });
    };
    let schema = SchemaRegistry::global().group();
    let members_attr = schema
        .core
        .attribute("members")
        .ok_or_else(|| ScimError::internal("the Group schema does not define 'members'"))?;
    let value_of = |m: &Value| m.get("value").and_then(Value::as_str).map(str::to_owned);
    let before: IndexSet<String> = current.iter().filter_map(value_of).collect();
    // The evolving member list, as JSON so that value filters can be evaluated.
    let mut members: Vec<Value> = current.to_vec();
    // Member ids held, so that adds and removals of thousands stay linear.
    let mut present: HashSet<String> = members.iter().filter_map(value_of).collect();
    for op in ops {
        match op {
            MemberOp::Add(ids) => {
                for id in ids {
                    if present.insert(id.clone()) {
                        members.push(json!({"value": id, "type": "User"}));
                    }
                }
            }
            MemberOp::Remove(ids) => {
                let removed: HashSet<&str> = ids.iter().map(String::as_str).collect();
                members.retain(|m| value_of(m).is_none_or(|v| !removed.contains(v.as_str())));
                present.retain(|v| !removed.contains(v.as_str()));
            }
            MemberOp::RemoveAll => {
                members.clear();
                present.clear();
            }
            MemberOp::Replace(ids) => {
                members = ids
                    .iter()
                    .map(|id| json!({"value": id, "type": "User"}))
                    .collect();
                present = ids.iter().cloned().collect();
            }
            MemberOp::RemoveMatching(filter) => {
                members.retain(|m| !filter.matches_value(m, members_attr));
                present = members.iter().filter_map(value_of).collect();
            }
        }
    }
    let after: IndexSet<String> = members.iter().filter_map(value_of).collect();
    Ok(MemberChanges {
        add: after.difference(&before).cloned().collect(),
        remove: before.difference(&after).cloned().collect(),
        exact: true,
    })
}

/// The exact difference that turns `current` member ids into `desired` ones (PUT,
/// adoption, and a user's group ids).
pub fn difference(current: &[String], desired: &[String]) -> MemberChanges {
    let before: IndexSet<&String> = current.iter().collect();
    let after: IndexSet<&String> = desired.iter().collect();
    MemberChanges {
        add: after.difference(&before).map(|s| (*s).clone()).collect(),
        remove: before.difference(&after).map(|s| (*s).clone()).collect(),
        exact: true,
    }
}

/// Where the groups a filter can match come from. The whole filter is evaluated again
/// over the mapped groups, so a source only has to hold every match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSource {
    /// One `GET /groups/{id}` (`id eq "..."`).
    ById(String),
    /// The groups the store knows by this `externalId` (`externalId eq "..."`), each
    /// read with `GET /groups/{id}`.
    ByExternalId(String),
    /// The group with this name (`displayName eq "..."`, case-insensitive as Zoom's
    /// uniqueness rule): a look-up in the group list.
    ByName(String),
    /// The groups of one user (`members.value eq "..."`): the user's `group_ids`.
    ByMember(String),
    /// These groups (named by the service's store), each read with `GET /groups/{id}`.
    ByIds(Vec<String>),
    /// The groups whose `meta.lastModified` compares with a time as asked, from the
    /// store, each read with `GET /groups/{id}`.
    ModifiedWhen {
        /// The comparison.
        op: CompareOp,
        /// The time compared with.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Every group (`GET /groups`).
    All,
}

/// Chooses the narrowest source for a canonical Group filter (terms joined by `and`
/// at the top level; `id` wins over `externalId`, then `displayName`, then a member).
pub fn group_source(filter: Option<&Filter>) -> GroupSource {
    let mut terms = Vec::new();
    if let Some(f) = filter {
        flatten_and(f, &mut terms);
    }
    let mut by_name = None;
    let mut by_member = None;
    let mut by_external_id = None;
    let mut modified = None;
    for term in terms {
        if let Some(when) = crate::mapping::filter::modified_term(term) {
            modified = modified.or(Some(when));
            continue;
        }
        match term {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::String(s),
            } if path.urn.is_none() => match (path.attr.as_str(), path.sub_attr.as_deref()) {
                ("id", None) => return GroupSource::ById(s.clone()),
                ("externalId", None) => by_external_id = by_external_id.or(Some(s.clone())),
                ("displayName", None) => by_name = by_name.or(Some(s.clone())),
                ("members", None | Some("value")) => by_member = by_member.or(Some(s.clone())),
                _ => {}
            },
            Filter::ValuePath { path, filter } if path.attr == "members" && path.urn.is_none() => {
                let mut inner = Vec::new();
                flatten_and(filter, &mut inner);
                for t in inner {
                    if let Some(ids) = value_eq_ids(t)
                        && let [id] = ids.as_slice()
                    {
                        by_member = by_member.or(Some(id.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(external_id) = by_external_id {
        return GroupSource::ByExternalId(external_id);
    }
    if let Some(name) = by_name {
        return GroupSource::ByName(name);
    }
    if let Some(member) = by_member {
        return GroupSource::ByMember(member);
    }
    if let Some((op, at)) = modified {
        return GroupSource::ModifiedWhen { op, at };
    }
    GroupSource::All
}

fn flatten_and<'a>(filter: &'a Filter, out: &mut Vec<&'a Filter>) {
    match filter {
        Filter::And(a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        other => out.push(other),
    }
}

/// Whether a canonical Group filter looks at `members` (then every candidate's member
/// list must be read to evaluate it).
pub fn filter_uses_members(filter: &Filter) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => filter_uses_members(a) || filter_uses_members(b),
        Filter::Not(inner) => filter_uses_members(inner),
        Filter::Compare { path, .. } | Filter::Present(path) | Filter::ValuePath { path, .. } => {
            path.attr.eq_ignore_ascii_case("members")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::filter::parse_filter;

    const BASE: &str = "https://scim.example/scim/v2";

    fn group(name: &str) -> Group {
        Group {
            id: Some("g1".into()),
            name: name.into(),
            total_members: Some(2),
        }
    }

    fn member(id: &str, email: &str) -> Member {
        Member {
            id: Some(id.into()),
            email: email.into(),
            ..Member::default()
        }
    }

    fn patch(ops: Value) -> Result<GroupPatch, ScimError> {
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": ops});
        GroupPatch::from_request(&PatchRequest::parse(&body)?, "g1", "Sales", None)
    }

    fn with_members(members: &[Member]) -> GroupExtras<'_> {
        GroupExtras {
            members: Some(members),
            external_id: None,
            last_modified: None,
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn zoom_group_maps_to_a_resource_with_members_and_version() {
        let members = [member("u1", "a@x.com"), member("u2", "b@x.com")];
        let scim = group_resource(&group("Sales"), "g1", with_members(&members), BASE);
        assert_eq!(scim["schemas"], json!([urn::GROUP]));
        assert_eq!(scim["id"], "g1");
        assert_eq!(scim["displayName"], "Sales");
        assert_eq!(
            scim["members"][0],
            json!({"value": "u1", "display": "a@x.com", "$ref": format!("{BASE}/Users/u1"), "type": "User"})
        );
        assert_eq!(scim["meta"]["resourceType"], "Group");
        assert_eq!(scim["meta"]["location"], format!("{BASE}/Groups/g1"));
        assert_eq!(
            scim["meta"]["version"],
            group_version("g1", "Sales", ["u2", "u1"], None)
        );
        // Without the member list: no members, no version.
        let bare = group_resource(&group("Sales"), "g1", GroupExtras::default(), BASE);
        assert!(bare.get("members").is_none());
        assert!(bare["meta"].get("version").is_none());
        // An empty group has a version but no members attribute (RFC 7643 section 2.5).
        let empty = group_resource(&group("Sales"), "g1", with_members(&[]), BASE);
        assert!(empty.get("members").is_none());
        assert!(empty["meta"]["version"].is_string());
    }

    #[test]
    fn meta_carries_what_the_schema_says_is_returned() {
        let scim = group_resource(
            &group("Sales"),
            "g1",
            GroupExtras {
                last_modified: Some(chrono::Utc::now()),
                ..with_members(&[member("u1", "a@x.com")])
            },
            BASE,
        );
        let mut keys: Vec<&str> = scim["meta"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        let mut returned = SchemaRegistry::global().group().returned_meta();
        returned.sort_unstable();
        assert_eq!(keys, returned);
    }

    #[test]
    fn version_covers_name_member_set_and_external_id_only() {
        let v = group_version("g1", "Sales", ["u1", "u2"], None);
        assert_eq!(v, group_version("g1", "Sales", ["u2", "u1"], None));
        assert_ne!(v, group_version("g1", "sales", ["u1", "u2"], None));
        assert_ne!(v, group_version("g1", "Sales", ["u1"], None));
        assert_ne!(v, group_version("g2", "Sales", ["u1", "u2"], None));
        assert_ne!(v, group_version("g1", "Sales", ["u1", "u2"], Some("e1")));
        assert!(v.starts_with("W/\""));
    }

    #[test]
    fn the_external_id_is_shown_and_versioned() {
        let members = [member("u1", "a@x.com")];
        let extras = GroupExtras {
            members: Some(&members),
            external_id: Some("8aa1a0c0"),
            last_modified: None,
        };
        let scim = group_resource(&group("Sales"), "g1", extras, BASE);
        assert_eq!(scim["externalId"], "8aa1a0c0");
        assert_eq!(
            scim["meta"]["version"],
            group_version("g1", "Sales", ["u1"], Some("8aa1a0c0"))
        );
        let keys: Vec<&str> = scim
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(&keys[..3], ["schemas", "id", "externalId"]);
    }

    #[test]
    fn create_bodies_of_every_client_are_read() {
        // Entra: a Microsoft schema URN, externalId, meta; no members.
        let entra = json!({
            "schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "  Engineering ",
            "meta": {"resourceType": "Group"}
        });
        let input = group_input(&entra).unwrap();
        assert_eq!(input.display_name, "Engineering");
        assert_eq!(input.members, None);
        assert_eq!(
            input.external_id.as_deref(),
            Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
        );
        assert!(input.ignored.is_empty(), "{:?}", input.ignored);
        // Okta: empty members.
        let okta = json!({"schemas": [urn::GROUP], "displayName": "Test SCIMv2", "members": []});
        assert_eq!(group_input(&okta).unwrap().members, Some(vec![]));
        // ConnId / midPoint: members with value and display, lower-case keys.
        let connid = json!({"displayname": "Ops", "Members": [{"value": "u1", "display": "a@x"}, {"Value": "u2"}, {"value": "u1"}]});
        let input = group_input(&connid).unwrap();
        assert_eq!(input.display_name, "Ops");
        assert_eq!(input.members, Some(ids(&["u1", "u2"])));
    }

    #[test]
    fn bad_create_bodies_are_refused() {
        for (body, what) in [
            (json!({"schemas": [urn::GROUP]}), "required"),
            (json!({"displayName": "   "}), "blank"),
            (json!({"displayName": "x".repeat(128)}), "shorter than 128"),
            (
                json!({"displayName": "A", "members": [{"display": "a@x"}]}),
                "user id",
            ),
            (
                json!({"displayName": "A", "members": [{"value": "g2", "type": "Group"}]}),
                "users only",
            ),
        ] {
            let err = group_input(&body).unwrap_err();
            assert_eq!(err.status, 400, "{body}");
            assert!(err.detail.contains(what), "{}: {}", body, err.detail);
        }
        assert_eq!(
            group_input(&json!({"displayName": "x".repeat(127)}))
                .unwrap()
                .display_name
                .len(),
            127
        );
    }

    #[test]
    fn entra_patches_are_interpreted() {
        // Rename, add (with "$ref": null), legacy remove with a value array.
        let p = patch(json!([
            {"op": "Replace", "path": "displayName", "value": "Sales EMEA"},
            {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u1"}, {"$ref": null, "value": "u2"}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u3"}]}
        ]))
        .unwrap();
        assert_eq!(p.rename.as_deref(), Some("Sales EMEA"));
        assert_eq!(
            p.member_ops,
            vec![
                MemberOp::Add(ids(&["u1", "u2"])),
                MemberOp::Remove(ids(&["u3"]))
            ]
        );
        assert!(!p.needs_current_members());
        // Compliant remove by filter.
        let p = patch(json!([{"op": "remove", "path": "members[value eq \"7f4b\"]"}])).unwrap();
        assert_eq!(p.member_ops, vec![MemberOp::Remove(ids(&["7f4b"]))]);
        assert_eq!(p.rename, None);
        // externalId, by a no-path replace (validators) or by path (Entra), is kept.
        let p = patch(json!([{"op": "replace", "value": {"externalId": "e1"}}])).unwrap();
        assert_eq!(p.external_id, Some(Some("e1".to_owned())));
        let p = patch(json!([{"op": "Replace", "path": "externalId", "value": "e1"}])).unwrap();
        assert_eq!(p.external_id, Some(Some("e1".to_owned())));
        assert!(p.rename.is_none() && p.member_ops.is_empty());
    }

    #[test]
    fn external_id_patches_compare_with_the_current_value() {
        let parse = |ops: Value| {
            PatchRequest::parse(&json!({"schemas": [urn::PATCH_OP], "Operations": ops})).unwrap()
        };
        let same = parse(json!([{"op": "replace", "path": "externalId", "value": "e1"}]));
        let p = GroupPatch::from_request(&same, "g1", "Sales", Some("e1")).unwrap();
        assert_eq!(p.external_id, None, "unchanged: nothing to keep");
        let remove = parse(json!([{"op": "remove", "path": "externalId"}]));
        let p = GroupPatch::from_request(&remove, "g1", "Sales", Some("e1")).unwrap();
        assert_eq!(p.external_id, Some(None));
        // Case-exact (RFC 7643 section 3.1): another case is another value.
        let other_case = parse(json!([{"op": "replace", "path": "externalId", "value": "E1"}]));
        let p = GroupPatch::from_request(&other_case, "g1", "Sales", Some("e1")).unwrap();
        assert_eq!(p.external_id, Some(Some("E1".to_owned())));
        let too_long =
            parse(json!([{"op": "add", "path": "externalId", "value": "x".repeat(1025)}]));
        assert_eq!(
            GroupPatch::from_request(&too_long, "g1", "Sales", None)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn okta_patches_are_interpreted() {
        // Rename carrying the readOnly id, then membership.
        let p = patch(json!([
            {"op": "replace", "value": {"id": "g1", "displayName": "Sales 2"}},
            {"op": "remove", "path": "members[value eq \"89bb\"]"},
            {"op": "add", "path": "members", "value": [{"value": "23a3", "display": "test.user@okta.local"}]}
        ]))
        .unwrap();
        assert_eq!(p.rename.as_deref(), Some("Sales 2"));
        assert_eq!(
            p.member_ops,
            vec![
                MemberOp::Remove(ids(&["89bb"])),
                MemberOp::Add(ids(&["23a3"]))
            ]
        );
        // The same name is no rename.
        let p = patch(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Sales"}}]))
            .unwrap();
        assert_eq!(p.rename, None);
        // Full push.
        let p = patch(json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}])).unwrap();
        assert_eq!(p.member_ops, vec![MemberOp::Replace(ids(&["a", "b"]))]);
        assert!(p.needs_current_members());
    }

    #[test]
    fn connid_patches_are_interpreted() {
        // Whole group in a no-path replace (schemas, meta and members included).
        let p = patch(json!([{"op": "replace", "value": {
            "schemas": [urn::GROUP], "id": "g1", "displayName": "Sales",
            "meta": {"resourceType": "Group"}, "members": [{"value": "u1"}]}}]))
        .unwrap();
        assert_eq!(p.rename, None);
        assert_eq!(p.member_ops, vec![MemberOp::Replace(ids(&["u1"]))]);
        // SALESFORCE/WSO2 variant: members in an add value.
        let p = patch(json!([{"op": "add", "value": {"members": [{"value": "u2"}]}}])).unwrap();
        assert_eq!(p.member_ops, vec![MemberOp::Add(ids(&["u2"]))]);
        // Remove all; remove with an OR of ids; a general filter.
        let p = patch(json!([{"op": "remove", "path": "members"}])).unwrap();
        assert_eq!(p.member_ops, vec![MemberOp::RemoveAll]);
        let p =
            patch(json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\"]"}]))
                .unwrap();
        assert_eq!(p.member_ops, vec![MemberOp::Remove(ids(&["a", "b"]))]);
        let p =
            patch(json!([{"op": "remove", "path": "members[display ew \"@old.com\"]"}])).unwrap();
        assert!(matches!(p.member_ops[0], MemberOp::RemoveMatching(_)));
        assert!(p.needs_current_members());
    }

    #[test]
    fn invalid_patches_are_refused_before_anything_applies() {
        let cases = [
            (
                json!([{"op": "replace", "value": {"id": "other"}}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "remove", "path": "displayName"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "displayName", "value": " "}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "members[value eq \"a\"].display", "value": "x"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "members[value eq \"a\"]", "value": {"value": "b"}}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "members", "value": [{"display": "no id"}]}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "remove", "path": "members[nosuch eq \"a\"]"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "nosuch", "value": "a"}]),
                ScimType::InvalidPath,
            ),
        ];
        for (ops, expected) in cases {
            let err = patch(ops.clone()).unwrap_err();
            assert_eq!(err.status, 400, "{ops}");
            assert_eq!(err.scim_type, Some(expected), "{ops}: {}", err.detail);
        }
    }

    #[test]
    fn member_changes_without_the_list_are_net_effects() {
        let ops = [
            MemberOp::Add(ids(&["a", "b"])),
            MemberOp::Remove(ids(&["b", "c"])),
            MemberOp::Add(ids(&["c"])),
        ];
        let changes = member_changes(&ops, None).unwrap();
        assert_eq!(changes.add, ids(&["a", "c"]));
        assert_eq!(changes.remove, ids(&["b"]));
        assert!(!changes.exact);
        assert!(member_changes(&[MemberOp::RemoveAll], None).is_err());
    }

    #[test]
    fn member_changes_with_the_list_are_exact_differences() {
        let current: Vec<Value> = [
            ("u1", "a@old.com"),
            ("u2", "b@new.com"),
            ("u3", "c@old.com"),
        ]
        .iter()
        .filter_map(|(id, email)| member_json(&member(id, email), BASE))
        .collect();
        // Okta full push: the delta only.
        let changes = member_changes(
            &[MemberOp::Replace(ids(&["u2", "u3", "u4"]))],
            Some(&current),
        )
        .unwrap();
        assert_eq!(changes.add, ids(&["u4"]));
        assert_eq!(changes.remove, ids(&["u1"]));
        assert!(changes.exact);
        // Adding an existing member and removing a non-member change nothing.
        let changes = member_changes(
            &[MemberOp::Add(ids(&["u1"])), MemberOp::Remove(ids(&["zz"]))],
            Some(&current),
        )
        .unwrap();
        assert!(changes.is_empty());
        // A general value filter.
        let filter = parse_filter("display ew \"@old.com\"").unwrap();
        let changes = member_changes(&[MemberOp::RemoveMatching(filter)], Some(&current)).unwrap();
        assert_eq!(changes.remove, ids(&["u1", "u3"]));
        // Remove all, then add one back.
        let changes = member_changes(
            &[MemberOp::RemoveAll, MemberOp::Add(ids(&["u2"]))],
            Some(&current),
        )
        .unwrap();
        assert_eq!(changes.remove, ids(&["u1", "u3"]));
        assert!(changes.add.is_empty());
    }

    #[test]
    fn difference_is_the_delta() {
        let d = difference(&ids(&["a", "b", "c"]), &ids(&["b", "c", "d"]));
        assert_eq!(d.add, ids(&["d"]));
        assert_eq!(d.remove, ids(&["a"]));
    }

    fn source(text: &str) -> GroupSource {
        let schema = SchemaRegistry::global().group();
        let filter = parse_filter(text).unwrap().canonicalize(schema);
        group_source(Some(&filter))
    }

    #[test]
    fn filters_choose_the_narrowest_source() {
        assert_eq!(
            source("displayName eq \"Sales\""),
            GroupSource::ByName("Sales".into())
        );
        assert_eq!(
            source("DISPLAYNAME eq \"Sales\""),
            GroupSource::ByName("Sales".into())
        );
        assert_eq!(
            source("displayName eq \"Sales\" and id eq \"g1\""),
            GroupSource::ById("g1".into())
        );
        assert_eq!(
            source("members.value eq \"u1\""),
            GroupSource::ByMember("u1".into())
        );
        assert_eq!(
            source("members eq \"u1\""),
            GroupSource::ByMember("u1".into())
        );
        assert_eq!(
            source("members[value eq \"u1\"] and displayName sw \"S\""),
            GroupSource::ByMember("u1".into())
        );
        assert_eq!(
            source("externalId eq \"8aa1\" and displayName eq \"Sales\""),
            GroupSource::ByExternalId("8aa1".into())
        );
        assert_eq!(source("externalId co \"8aa1\""), GroupSource::All);
        assert_eq!(source("displayName sw \"S\""), GroupSource::All);
        assert_eq!(
            source("displayName eq \"A\" or displayName eq \"B\""),
            GroupSource::All
        );
        assert_eq!(group_source(None), GroupSource::All);
    }

    #[test]
    fn member_references_in_filters_are_detected() {
        let uses = |t: &str| filter_uses_members(&parse_filter(t).unwrap());
        assert!(uses("members pr"));
        assert!(uses("displayName eq \"a\" or not (members.value eq \"u\")"));
        assert!(uses("members[display co \"x\"]"));
        assert!(!uses("displayName eq \"a\" and id pr"));
    }
}
