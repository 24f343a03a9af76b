//! Unit tests of PATCH: what clients send (`clients`) and the RFC 7644 semantics
//! (`rfc`), on the published User and Group schemas.

use serde_json::{Value, json};

use super::{MAX_OPERATIONS, MAX_VALUES, PatchOpKind, PatchRequest};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::model::urn;
use crate::scim::schema::SchemaRegistry;

mod clients;
mod rfc;

const ENT: &str = urn::ENTERPRISE_USER;

fn user() -> Value {
    json!({
        "schemas": [urn::USER, ENT],
        "id": "u1",
        "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe",
        "active": true,
        "emails": [{"value": "jane@example.com", "type": "work", "primary": true}],
        "roles": [{"value": "2", "display": "Member", "primary": true}],
        ENT: {"department": "Sales", "manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}}
    })
}

fn group() -> Value {
    json!({
        "schemas": [urn::GROUP],
        "id": "g1",
        "displayName": "Sales",
        "members": [{"value": "u1", "display": "a@x"}, {"value": "u2"}]
    })
}

fn patch_user(before: Value, body: Value) -> Result<Value, ScimError> {
    let mut resource = before;
    PatchRequest::parse(&body)?.apply(&mut resource, SchemaRegistry::global().user())?;
    Ok(resource)
}

fn patch_group(before: Value, body: Value) -> Result<Value, ScimError> {
    let mut resource = before;
    PatchRequest::parse(&body)?.apply(&mut resource, SchemaRegistry::global().group())?;
    Ok(resource)
}

fn ops(ops: Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": ops})
}

fn ok(result: Result<Value, ScimError>) -> Value {
    result.unwrap_or_else(|e| panic!("patch failed: {e}"))
}

fn err_type(result: Result<Value, ScimError>) -> Option<ScimType> {
    match result {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => {
            assert_eq!(e.status, 400, "{e}");
            e.scim_type
        }
    }
}
