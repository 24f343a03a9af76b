//! Writing users: create, replace, patch, delete (RFC 7644 sections 3.3, 3.5, 3.6).

use serde_json::Value;

use super::{Precondition, Provider, ScimResource, WriteOutcome};
use crate::scim::error::ScimError;
use crate::scim::projection::AttributeSelection;

const WRITE_PATH_PENDING: &str =
    "user writes are not available in this build yet (see the README's status section)";

impl Provider {
    /// `POST /Users`.
    pub async fn create_user(
        &self,
        _body: Value,
        _selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        Err(ScimError::not_implemented(WRITE_PATH_PENDING))
    }

    /// `PUT /Users/{id}`.
    pub async fn replace_user(
        &self,
        _id: &str,
        _body: Value,
        _selection: &AttributeSelection,
        _precondition: &Precondition,
    ) -> Result<ScimResource, ScimError> {
        Err(ScimError::not_implemented(WRITE_PATH_PENDING))
    }

    /// `PATCH /Users/{id}`.
    pub async fn patch_user(
        &self,
        _id: &str,
        _body: Value,
        _selection: &AttributeSelection,
        _precondition: &Precondition,
    ) -> Result<ScimResource, ScimError> {
        Err(ScimError::not_implemented(WRITE_PATH_PENDING))
    }

    /// `DELETE /Users/{id}`.
    pub async fn delete_user(
        &self,
        _id: &str,
        _precondition: &Precondition,
    ) -> Result<(), ScimError> {
        Err(ScimError::not_implemented(WRITE_PATH_PENDING))
    }
}
