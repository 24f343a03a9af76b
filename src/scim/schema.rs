//! The schema registry: typed RFC 7643 section 7 schema model loaded from the embedded
//! `scim-schema/*.json` files (the same documents `/Schemas`, `/ResourceTypes` and
//! `/ServiceProviderConfig` serve), and attribute resolution for paths and filters.

use std::sync::{Arc, LazyLock, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::urn;
use super::path::attr::AttrPath;

/// An attribute's data type (RFC 7643 section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A sequence of Unicode characters.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An xsd:dateTime, e.g. `2026-11-22T04:08:15Z`.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI referencing a resource (see `referenceTypes`).
    Reference,
    /// A set of sub-attributes.
    Complex,
}

/// When and whether an attribute may be changed (RFC 7643 section 7, `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only.
    ReadOnly,
    /// May be updated and read at any time.
    ReadWrite,
    /// May be set once (when unassigned); never changed afterwards.
    Immutable,
    /// May be written but is never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 section 7, `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// Uniqueness of an attribute's values (RFC 7643 section 7, `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness constraint.
    None,
    /// Unique within the service provider.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition. Every characteristic is mandatory in the files (unknown
/// fields are rejected too), so a schema file that loses one fails to load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    /// Canonical attribute name.
    pub name: String,
    /// Data type.
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    /// Whether the attribute holds an array of values.
    pub multi_valued: bool,
    /// Human-readable description.
    pub description: String,
    /// Whether the attribute must be present on create/replace.
    pub required: bool,
    /// Suggested values (string attributes only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// Returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Resource types a `reference` may point to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// Sub-attributes of a `complex` attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// The sub-attribute with this name, compared case-insensitively (RFC 7643 section 2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether this is a complex attribute.
    pub fn is_complex(&self) -> bool {
        self.attr_type == AttrType::Complex
    }

    /// For a complex attribute, the attribute that represents a whole value in comparisons:
    /// its `value` sub-attribute (RFC 7644 section 3.4.2.2 compares `emails co "x"` on
    /// `emails.value`). For a simple attribute, itself.
    pub fn comparable(&self) -> Option<&Attribute> {
        if self.is_complex() {
            self.sub_attribute("value")
        } else {
            Some(self)
        }
    }
}

/// A Schema resource (RFC 7643 section 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schema {
    /// `["urn:ietf:params:scim:schemas:core:2.0:Schema"]`.
    pub schemas: Vec<String>,
    /// The schema URN.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Human-readable description.
    pub description: String,
    /// Attribute definitions.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// The attribute with this name, compared case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema extension of a resource type (RFC 7643 section 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaExtension {
    /// The extension schema URN.
    pub schema: String,
    /// Whether resources must carry the extension.
    pub required: bool,
}

/// A ResourceType resource (RFC 7643 section 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceType {
    /// `["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]`.
    pub schemas: Vec<String>,
    /// `User` or `Group`.
    pub id: String,
    /// Name, same as `id`.
    pub name: String,
    /// Relative endpoint, e.g. `/Users`.
    pub endpoint: String,
    /// Human-readable description.
    pub description: String,
    /// Core schema URN.
    pub schema: String,
    /// Extension schemas.
    pub schema_extensions: Vec<SchemaExtension>,
}

/// Why the schema files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaLoadError {
    /// A file is not valid JSON or misses/misspells a characteristic.
    #[error("{file}: {source}")]
    Parse {
        /// Which file.
        file: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The documents are well-formed but inconsistent.
    #[error("{0}")]
    Inconsistent(String),
}

/// One resource type's core schema plus its extensions, with attribute resolution.
#[derive(Debug, Clone)]
pub struct ResourceSchema {
    /// The ResourceType definition.
    pub resource_type: ResourceType,
    /// The core schema.
    pub core: Schema,
    /// The extension schemas, in ResourceType order.
    pub extensions: Vec<Schema>,
    /// RFC 7643 section 3.1 common attributes not listed in the schema files (`meta`).
    pub common: Vec<Attribute>,
    /// Attribute paths for projections, built at first use.
    selection_paths: OnceLock<Arc<KnownPaths>>,
}

/// Where a resolved attribute lives and what it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    /// The extension URN key holding the attribute, `None` for a top-level attribute.
    pub extension: Option<&'a str>,
    /// The URN of the schema defining the attribute (core URN for top-level attributes).
    pub schema_urn: &'a str,
    /// The attribute definition.
    pub attribute: &'a Attribute,
    /// The sub-attribute definition when the path names one.
    pub sub_attribute: Option<&'a Attribute>,
}

impl<'a> Resolved<'a> {
    /// Canonical attribute name.
    pub fn name(&self) -> &'a str {
        &self.attribute.name
    }

    /// Canonical sub-attribute name, if any.
    pub fn sub_name(&self) -> Option<&'a str> {
        self.sub_attribute.map(|a| a.name.as_str())
    }

    /// The innermost definition named by the path (sub-attribute if present).
    pub fn target(&self) -> &'a Attribute {
        self.sub_attribute.unwrap_or(self.attribute)
    }

    /// The canonical path: `name`, `name.sub`, or `urn:...:attr[.sub]` for extensions.
    pub fn canonical_path(&self) -> String {
        let mut out = String::new();
        if let Some(ext) = self.extension {
            out.push_str(ext);
            out.push(':');
        }
        out.push_str(self.name());
        if let Some(sub) = self.sub_name() {
            out.push('.');
            out.push_str(sub);
        }
        out
    }
}

impl ResourceSchema {
    /// The attribute paths projections select from (computed once).
    pub fn selection_paths(&self) -> Arc<KnownPaths> {
        self.selection_paths
            .get_or_init(|| Arc::new(KnownPaths::of(self)))
            .clone()
    }

    /// All schemas, core first.
    pub fn schemas(&self) -> impl Iterator<Item = &Schema> {
        std::iter::once(&self.core).chain(self.extensions.iter())
    }

    /// The extension schema with this URN (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves a path to its definition. Names and URNs compare case-insensitively
    /// (RFC 7643 section 2.1). A URN-qualified path looks only in that schema (RFC 7644
    /// section 3.10); an unqualified one looks in the core schema, then the common
    /// attributes (`meta`), then each extension in order (Entra sometimes sends enterprise
    /// attributes unqualified).
    pub fn resolve(&self, path: &AttrPath) -> Option<Resolved<'_>> {
        let (schema, extension, attribute) = match &path.urn {
            Some(urn) => {
                if self.core.id.eq_ignore_ascii_case(urn) {
                    let attr = self
                        .core
                        .attribute(&path.attr)
                        .or_else(|| self.common_attribute(&path.attr))?;
                    (&self.core, None, attr)
                } else {
                    let ext = self.extension(urn)?;
                    (ext, Some(ext.id.as_str()), ext.attribute(&path.attr)?)
                }
            }
            None => {
                if let Some(attr) = self
                    .core
                    .attribute(&path.attr)
                    .or_else(|| self.common_attribute(&path.attr))
                {
                    (&self.core, None, attr)
                } else {
                    self.extensions.iter().find_map(|ext| {
                        ext.attribute(&path.attr)
                            .map(|a| (ext, Some(ext.id.as_str()), a))
                    })?
                }
            }
        };
        let sub_attribute = match &path.sub_attr {
            Some(sub) => Some(attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(Resolved {
            extension,
            schema_urn: &schema.id,
            attribute,
            sub_attribute,
        })
    }

    /// The names of the `meta` sub-attributes this resource type returns (RFC 7643
    /// section 3.1; the others are `returned: never`, see `UNKEPT_META`).
    pub fn returned_meta(&self) -> Vec<&str> {
        self.common_attribute("meta")
            .map(|meta| {
                meta.sub_attributes
                    .iter()
                    .filter(|sub| sub.returned != Returned::Never)
                    .map(|sub| sub.name.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn common_attribute(&self, name: &str) -> Option<&Attribute> {
        self.common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The `schemas` value for a canonical resource: the core URN first, then every
    /// extension whose object is present and non-empty (RFC 7643 section 3).
    pub fn schema_urns_for(&self, resource: &Value) -> Vec<&str> {
        let mut urns = vec![self.core.id.as_str()];
        for ext in &self.extensions {
            let present = resource
                .get(&ext.id)
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty());
            if present {
                urns.push(ext.id.as_str());
            }
        }
        urns
    }

    /// Every attribute (and sub-attribute) with its canonical path, for checks and
    /// for projection bookkeeping.
    pub fn walk(&self) -> Vec<(String, &Attribute)> {
        let mut out = Vec::new();
        let tops = self
            .core
            .attributes
            .iter()
            .chain(self.common.iter())
            .map(|a| (String::new(), a))
            .chain(self.extensions.iter().flat_map(|ext| {
                ext.attributes
                    .iter()
                    .map(move |a| (format!("{}:", ext.id), a))
            }));
        for (prefix, attr) in tops {
            out.push((format!("{prefix}{}", attr.name), attr));
            for sub in &attr.sub_attributes {
                out.push((format!("{prefix}{}.{}", attr.name, sub.name), sub));
            }
        }
        out
    }
}

/// A known attribute path with its `returned` characteristic and its parent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KnownPath {
    pub(super) ext: Option<String>,
    pub(super) attr: String,
    pub(super) sub: Option<String>,
    pub(super) returned: Returned,
    pub(super) parent_returned: Returned,
}

/// A resource type's attribute paths, built once per schema
/// ([`ResourceSchema::selection_paths`]) and shared by every attribute selection on it.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct KnownPaths {
    pub(super) core_urn: String,
    pub(super) known: Vec<KnownPath>,
}

impl KnownPaths {
    /// The paths of `schema`.
    pub fn of(schema: &ResourceSchema) -> Self {
        Self {
            core_urn: schema.core.id.clone(),
            known: known_paths(schema),
        }
    }
}

fn known_paths(schema: &ResourceSchema) -> Vec<KnownPath> {
    let mut out = Vec::new();
    let tops = schema
        .core
        .attributes
        .iter()
        .chain(schema.common.iter())
        .map(|a| (None, a))
        .chain(
            schema
                .extensions
                .iter()
                .flat_map(|e| e.attributes.iter().map(move |a| (Some(e.id.clone()), a))),
        );
    for (ext, attr) in tops {
        out.push(KnownPath {
            ext: ext.clone(),
            attr: attr.name.clone(),
            sub: None,
            returned: attr.returned,
            parent_returned: attr.returned,
        });
        for sub in &attr.sub_attributes {
            out.push(KnownPath {
                ext: ext.clone(),
                attr: attr.name.clone(),
                sub: Some(sub.name.clone()),
                returned: sub.returned,
                parent_returned: attr.returned,
            });
        }
    }
    out
}

/// `meta` sub-attributes this service provider has no value for, by resource type:
/// Zoom records no creation time for groups. They are `returned: never`, so they are
/// never shown and a filter on them is `invalidFilter` rather than a filter that
/// silently matches nothing. (`lastModified` comes from the service's store.)
const UNKEPT_META: [(&str, &[&str]); 1] = [("Group", &["created"])];

/// The RFC 7643 section 3.1 `meta` attribute, common to all resources; the
/// sub-attributes named in `unkept` are `returned: never`.
fn meta_attribute(unkept: &[&str]) -> Attribute {
    fn sub(name: &str, attr_type: AttrType, case_exact: bool, description: &str) -> Attribute {
        Attribute {
            name: name.into(),
            attr_type,
            multi_valued: false,
            description: description.into(),
            required: false,
            canonical_values: vec![],
            case_exact,
            mutability: Mutability::ReadOnly,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: vec![],
            sub_attributes: vec![],
        }
    }
    let mut meta = sub(
        "meta",
        AttrType::Complex,
        false,
        "Resource metadata maintained by the service provider.",
    );
    meta.sub_attributes = vec![
        sub("resourceType", AttrType::String, true, "The resource type."),
        sub(
            "created",
            AttrType::DateTime,
            false,
            "When the resource was added.",
        ),
        sub(
            "lastModified",
            AttrType::DateTime,
            false,
            "When the resource was last changed.",
        ),
        sub(
            "location",
            AttrType::Reference,
            true,
            "The URI of the resource.",
        ),
        sub("version", AttrType::String, true, "The resource's ETag."),
    ];
    meta.sub_attributes[3].reference_types = vec!["uri".into()];
    for sub in &mut meta.sub_attributes {
        if unkept.contains(&sub.name.as_str()) {
            sub.returned = Returned::Never;
        }
    }
    meta
}

/// The embedded schema documents, file name and content.
pub const SCHEMA_FILES: [(&str, &str); 5] = [
    ("User.json", include_str!("../../scim-schema/User.json")),
    (
        "EnterpriseUser.json",
        include_str!("../../scim-schema/EnterpriseUser.json"),
    ),
    (
        "ZoomUser.json",
        include_str!("../../scim-schema/ZoomUser.json"),
    ),
    (
        "ZoomNativeUser.json",
        include_str!("../../scim-schema/ZoomNativeUser.json"),
    ),
    ("Group.json", include_str!("../../scim-schema/Group.json")),
];
/// The embedded ResourceTypes document.
pub const RESOURCE_TYPES_FILE: &str = include_str!("../../scim-schema/ResourceTypes.json");
/// `filter.maxResults` of a service without a cap on listings: the largest 32-bit
/// integer (the published file carries it).
pub const NO_CAP_MAX_RESULTS: u32 = i32::MAX as u32;

/// The embedded ServiceProviderConfig document.
pub const SERVICE_PROVIDER_CONFIG_FILE: &str =
    include_str!("../../scim-schema/ServiceProviderConfig.json");

/// All schemas, resource types and the service provider configuration.
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    schemas_json: Vec<Value>,
    resource_types_json: Vec<Value>,
    service_provider_config: Value,
    user: ResourceSchema,
    group: ResourceSchema,
}

static GLOBAL: LazyLock<SchemaRegistry> = LazyLock::new(|| {
    // The documents are compiled into the binary and checked by the unit tests, so a
    // failure here is a build defect, not bad input.
    match SchemaRegistry::load(
        &SCHEMA_FILES,
        RESOURCE_TYPES_FILE,
        SERVICE_PROVIDER_CONFIG_FILE,
    ) {
        Ok(registry) => registry,
        Err(e) => panic!("embedded scim-schema files are invalid: {e}"),
    }
});

impl SchemaRegistry {
    /// The registry built from the embedded `scim-schema/` files.
    pub fn global() -> &'static SchemaRegistry {
        &GLOBAL
    }

    /// Builds a registry from schema documents, a ResourceTypes array and a
    /// ServiceProviderConfig, checking that they are complete and consistent.
    pub fn load(
        schema_files: &[(&str, &str)],
        resource_types: &str,
        service_provider_config: &str,
    ) -> Result<Self, SchemaLoadError> {
        let parse = |file: &str, text: &str| -> Result<Value, SchemaLoadError> {
            serde_json::from_str(text).map_err(|source| SchemaLoadError::Parse {
                file: file.into(),
                source,
            })
        };
        let mut schemas_json = Vec::new();
        let mut schemas: Vec<Schema> = Vec::new();
        for (file, text) in schema_files {
            let raw = parse(file, text)?;
            let typed: Schema =
                serde_json::from_value(raw.clone()).map_err(|source| SchemaLoadError::Parse {
                    file: (*file).into(),
                    source,
                })?;
            check_schema(&typed)?;
            schemas_json.push(raw);
            schemas.push(typed);
        }
        let rt_raw = parse("ResourceTypes.json", resource_types)?;
        let rt_typed: Vec<ResourceType> =
            serde_json::from_value(rt_raw.clone()).map_err(|source| SchemaLoadError::Parse {
                file: "ResourceTypes.json".into(),
                source,
            })?;
        let spc = parse("ServiceProviderConfig.json", service_provider_config)?;
        check_service_provider_config(&spc)?;

        let find = |id: &str| -> Result<Schema, SchemaLoadError> {
            schemas.iter().find(|s| s.id == id).cloned().ok_or_else(|| {
                SchemaLoadError::Inconsistent(format!("schema {id} is referenced but not defined"))
            })
        };
        let build = |rt_id: &str, core_urn: &str| -> Result<ResourceSchema, SchemaLoadError> {
            let rt = rt_typed
                .iter()
                .find(|rt| rt.id == rt_id)
                .cloned()
                .ok_or_else(|| {
                    SchemaLoadError::Inconsistent(format!("resource type {rt_id} missing"))
                })?;
            if rt.schema != core_urn || rt.schemas != [urn::RESOURCE_TYPE] {
                return Err(SchemaLoadError::Inconsistent(format!(
                    "resource type {rt_id} must use schema {core_urn}"
                )));
            }
            let core = find(&rt.schema)?;
            let extensions = rt
                .schema_extensions
                .iter()
                .map(|e| find(&e.schema))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ResourceSchema {
                resource_type: rt,
                core,
                extensions,
                common: vec![meta_attribute(
                    UNKEPT_META
                        .iter()
                        .find(|(id, _)| *id == rt_id)
                        .map_or(&[], |(_, unkept)| *unkept),
                )],
                selection_paths: OnceLock::new(),
            })
        };
        let user = build("User", urn::USER)?;
        let group = build("Group", urn::GROUP)?;
        let resource_types_json = match rt_raw {
            Value::Array(items) => items,
            _ => {
                return Err(SchemaLoadError::Inconsistent(
                    "ResourceTypes.json must be an array".into(),
                ));
            }
        };
        Ok(SchemaRegistry {
            schemas_json,
            resource_types_json,
            service_provider_config: spc,
            user,
            group,
        })
    }

    /// The User resource type (core User + enterprise, zoom 2.0 and zoom 1.0 extensions).
    pub fn user(&self) -> &ResourceSchema {
        &self.user
    }

    /// The Group resource type.
    pub fn group(&self) -> &ResourceSchema {
        &self.group
    }

    /// The resource type with this id (`User`/`Group`, case-insensitive).
    pub fn resource_schema(&self, id: &str) -> Option<&ResourceSchema> {
        [&self.user, &self.group]
            .into_iter()
            .find(|r| r.resource_type.id.eq_ignore_ascii_case(id))
    }

    /// Every Schema resource as served by `GET /Schemas` (without `meta`).
    pub fn schemas(&self) -> Vec<Value> {
        self.schemas_json.clone()
    }

    /// One Schema resource by URN (case-insensitive), without `meta`.
    pub fn schema(&self, id: &str) -> Option<Value> {
        self.schemas_json
            .iter()
            .find(|s| s["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
            .cloned()
    }

    /// Every ResourceType resource as served by `GET /ResourceTypes` (without `meta`).
    pub fn resource_types(&self) -> Vec<Value> {
        self.resource_types_json.clone()
    }

    /// One ResourceType resource by id (`User`/`Group`, case-insensitive), without `meta`.
    pub fn resource_type(&self, id: &str) -> Option<Value> {
        self.resource_types_json
            .iter()
            .find(|s| s["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
            .cloned()
    }

    /// The ServiceProviderConfig resource (without `meta`).
    pub fn service_provider_config(&self) -> Value {
        self.service_provider_config.clone()
    }
}

/// Structural rules of RFC 7643 section 7 that serde cannot express.
fn check_schema(schema: &Schema) -> Result<(), SchemaLoadError> {
    let bad = |msg: String| {
        Err(SchemaLoadError::Inconsistent(format!(
            "{}: {msg}",
            schema.id
        )))
    };
    if schema.schemas != [urn::SCHEMA] {
        return bad(format!("schemas must be [\"{}\"]", urn::SCHEMA));
    }
    fn check_attr(attr: &Attribute, is_sub: bool) -> Result<(), String> {
        let valid_name = {
            let mut chars = attr.name.chars();
            let first_ok =
                attr.name == "$ref" || chars.next().is_some_and(|c| c.is_ascii_alphabetic());
            first_ok
                && attr
                    .name
                    .chars()
                    .skip(1)
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !valid_name {
            return Err(format!("invalid attribute name {:?}", attr.name));
        }
        if attr.description.trim().is_empty() {
            return Err(format!("{} has an empty description", attr.name));
        }
        match (attr.is_complex(), attr.sub_attributes.is_empty()) {
            (true, true) => return Err(format!("complex {} has no subAttributes", attr.name)),
            (false, false) => {
                return Err(format!("non-complex {} has subAttributes", attr.name));
            }
            _ => {}
        }
        if attr.is_complex() && is_sub {
            return Err(format!("{} nests complex attributes", attr.name));
        }
        if attr.attr_type == AttrType::Reference && attr.reference_types.is_empty() {
            return Err(format!("reference {} has no referenceTypes", attr.name));
        }
        if attr.attr_type != AttrType::Reference && !attr.reference_types.is_empty() {
            return Err(format!(
                "{} has referenceTypes but is not a reference",
                attr.name
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for sub in &attr.sub_attributes {
            if !seen.insert(sub.name.to_ascii_lowercase()) {
                return Err(format!(
                    "duplicate sub-attribute {}.{}",
                    attr.name, sub.name
                ));
            }
            check_attr(sub, true)?;
        }
        Ok(())
    }
    let mut seen = std::collections::HashSet::new();
    for attr in &schema.attributes {
        if !seen.insert(attr.name.to_ascii_lowercase()) {
            return bad(format!("duplicate attribute {}", attr.name));
        }
        if let Err(msg) = check_attr(attr, false) {
            return bad(msg);
        }
    }
    Ok(())
}

/// RFC 7643 section 5: the members every ServiceProviderConfig must have.
fn check_service_provider_config(spc: &Value) -> Result<(), SchemaLoadError> {
    let missing = |what: &str| {
        Err(SchemaLoadError::Inconsistent(format!(
            "ServiceProviderConfig.json: missing or invalid {what}"
        )))
    };
    if spc["schemas"] != serde_json::json!([urn::SERVICE_PROVIDER_CONFIG]) {
        return missing("schemas");
    }
    for feature in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
        if !spc[feature]["supported"].is_boolean() {
            return missing(&format!("{feature}.supported"));
        }
    }
    if spc["authenticationSchemes"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return missing("authenticationSchemes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(s: &str) -> AttrPath {
        match AttrPath::parse(s) {
            Some(p) => p,
            None => panic!("test path {s} does not parse"),
        }
    }

    const CHARACTERISTICS: [&str; 9] = [
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
    ];

    #[test]
    fn every_file_parses_and_every_attribute_spells_out_all_characteristics() {
        fn check(attr: &Value, file: &str) {
            for c in CHARACTERISTICS {
                assert!(attr.get(c).is_some(), "{file}: {} lacks {c}", attr["name"]);
            }
            for (k, v) in attr.as_object().into_iter().flatten() {
                assert!(!v.is_null(), "{file}: {}.{k} is null", attr["name"]);
            }
            if attr["type"] == "complex" {
                let subs = attr["subAttributes"].as_array();
                assert!(
                    subs.is_some_and(|s| !s.is_empty()),
                    "{file}: {}",
                    attr["name"]
                );
            }
            if attr["type"] == "reference" {
                assert!(
                    attr["referenceTypes"].is_array(),
                    "{file}: {}",
                    attr["name"]
                );
            }
            for sub in attr["subAttributes"].as_array().into_iter().flatten() {
                check(sub, file);
            }
        }
        for (file, text) in SCHEMA_FILES {
            let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(doc["schemas"], json!([urn::SCHEMA]), "{file}");
            assert!(doc["meta"].is_null(), "{file}: meta is added at serve time");
            for key in ["id", "name", "description"] {
                assert!(doc[key].is_string(), "{file}: {key}");
            }
            let attrs = doc["attributes"]
                .as_array()
                .unwrap_or_else(|| panic!("{file}"));
            assert!(!attrs.is_empty());
            for attr in attrs {
                check(attr, file);
            }
        }
        assert!(serde_json::from_str::<Value>(RESOURCE_TYPES_FILE).is_ok());
        assert!(serde_json::from_str::<Value>(SERVICE_PROVIDER_CONFIG_FILE).is_ok());
        // And the typed loader accepts them.
        let registry = SchemaRegistry::global();
        assert_eq!(registry.schemas().len(), 5);
    }

    #[test]
    fn loader_rejects_a_file_missing_a_characteristic() {
        for characteristic in CHARACTERISTICS {
            let mut doc: Value = serde_json::from_str(SCHEMA_FILES[0].1).unwrap_or_default();
            if let Some(attr) = doc["attributes"][3]["subAttributes"][0].as_object_mut() {
                attr.remove(characteristic);
            }
            let text = doc.to_string();
            let mut files = SCHEMA_FILES;
            files[0].1 = &text;
            let result =
                SchemaRegistry::load(&files, RESOURCE_TYPES_FILE, SERVICE_PROVIDER_CONFIG_FILE);
            assert!(result.is_err(), "losing {characteristic} must fail");
        }
    }

    #[test]
    fn loader_rejects_a_missing_schema_for_a_resource_type() {
        let files = [
            SCHEMA_FILES[0],
            SCHEMA_FILES[1],
            SCHEMA_FILES[2],
            SCHEMA_FILES[4],
        ];
        let err = SchemaRegistry::load(&files, RESOURCE_TYPES_FILE, SERVICE_PROVIDER_CONFIG_FILE)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("zoom:1.0:User"), "{err}");
    }

    #[test]
    fn every_resource_types_schema_exists_and_is_served() {
        let registry = SchemaRegistry::global();
        let rts = registry.resource_types();
        assert_eq!(rts.len(), 2);
        assert_eq!(rts[0]["endpoint"], "/Users");
        assert_eq!(rts[1]["endpoint"], "/Groups");
        for rt in &rts {
            let core = rt["schema"].as_str().unwrap_or_default();
            assert!(registry.schema(core).is_some(), "{core}");
            for ext in rt["schemaExtensions"].as_array().into_iter().flatten() {
                let urn = ext["schema"].as_str().unwrap_or_default();
                assert!(registry.schema(urn).is_some(), "{urn}");
                assert_eq!(ext["required"], false);
            }
        }
        assert_eq!(
            rts[0]["schemaExtensions"]
                .as_array()
                .map(|a| a.iter().map(|e| e["schema"].clone()).collect::<Vec<_>>()),
            Some(vec![
                json!(urn::ENTERPRISE_USER),
                json!(urn::ZOOM_USER),
                json!(urn::ZOOM_NATIVE_USER)
            ])
        );
        assert!(registry.resource_type("user").is_some());
        assert!(registry.resource_type("Nope").is_none());
        assert!(registry.schema(&urn::GROUP.to_uppercase()).is_some());
    }

    #[test]
    fn service_provider_config_tells_the_truth() {
        let spc = SchemaRegistry::global().service_provider_config();
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(
            spc["bulk"],
            json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
        );
        assert_eq!(
            spc["filter"],
            json!({"supported": true, "maxResults": NO_CAP_MAX_RESULTS})
        );
        assert_eq!(spc["changePassword"]["supported"], false);
        assert_eq!(spc["sort"]["supported"], false);
        assert_eq!(spc["etag"]["supported"], true);
        assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(spc["authenticationSchemes"][0]["primary"], true);
        assert!(spc.get("meta").is_none());
    }

    #[test]
    fn published_attributes_are_exactly_the_round_tripped_ones() {
        let registry = SchemaRegistry::global();
        let names = |urn: &str| -> Vec<String> {
            registry
                .schema(urn)
                .and_then(|s| s["attributes"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|a| a["name"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(
            names(urn::USER),
            [
                "id",
                "externalId",
                "userName",
                "name",
                "displayName",
                "title",
                "preferredLanguage",
                "locale",
                "timezone",
                "active",
                "emails",
                "phoneNumbers",
                "userType",
                "roles",
                "groups"
            ]
        );
        assert_eq!(
            names(urn::ENTERPRISE_USER),
            ["department", "costCenter", "organization", "manager"]
        );
        assert_eq!(
            names(urn::GROUP),
            ["id", "externalId", "displayName", "members"]
        );
        assert_eq!(
            names(urn::ZOOM_NATIVE_USER),
            [
                "zoomPhoneExtNumber",
                "zoomPhoneNumber",
                "zoomPhoneSite",
                "zoomPhoneCallingPlan"
            ]
        );
        assert_eq!(names(urn::ZOOM_USER).len(), 18);
    }

    #[test]
    fn key_characteristics_match_the_contract() {
        let user = SchemaRegistry::global().user();
        let get = |p: &str| user.resolve(&path(p)).map(|r| r.target().clone());
        let id = get("id").unwrap_or_else(|| panic!("id"));
        assert_eq!(
            (id.mutability, id.returned, id.case_exact, id.uniqueness),
            (
                Mutability::ReadOnly,
                Returned::Always,
                true,
                Uniqueness::Server
            )
        );
        let user_name = get("userName").unwrap_or_else(|| panic!("userName"));
        assert!(user_name.required && !user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        assert_eq!(
            get("groups").map(|a| a.mutability),
            Some(Mutability::ReadOnly)
        );
        assert_eq!(
            get("members.$ref").map(|a| a.reference_types),
            None,
            "members is a Group attribute"
        );
        let group = SchemaRegistry::global().group();
        let refs = group
            .resolve(&path("members.$ref"))
            .map(|r| r.target().reference_types.clone());
        assert_eq!(refs, Some(vec!["User".to_string()]));
        assert_eq!(
            group
                .resolve(&path("members.value"))
                .map(|r| r.target().mutability),
            Some(Mutability::Immutable)
        );
        let dn = group
            .resolve(&path("displayName"))
            .map(|r| r.target().clone());
        assert!(
            dn.is_some_and(|a| a.required && !a.case_exact && a.uniqueness == Uniqueness::Server)
        );
        assert_eq!(
            get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref")
                .map(|a| a.reference_types),
            Some(vec!["User".to_string()])
        );
        for native in [
            "zoomPhoneExtNumber",
            "zoomPhoneNumber",
            "zoomPhoneSite",
            "zoomPhoneCallingPlan",
        ] {
            let a = get(native).unwrap_or_else(|| panic!("{native}"));
            assert_eq!(
                (a.mutability, a.returned),
                (Mutability::WriteOnly, Returned::Never)
            );
        }
    }

    #[test]
    fn meta_values_the_service_keeps_none_of_are_never_returned() {
        let registry = SchemaRegistry::global();
        assert_eq!(
            registry.user().returned_meta(),
            [
                "resourceType",
                "created",
                "lastModified",
                "location",
                "version"
            ]
        );
        assert_eq!(
            registry.group().returned_meta(),
            ["resourceType", "lastModified", "location", "version"]
        );
    }

    #[test]
    fn resolution_is_case_insensitive_and_finds_extensions() {
        let user = SchemaRegistry::global().user();
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("userName", None, Some("userName")),
            ("USERNAME", None, Some("userName")),
            ("name.givenname", None, Some("name.givenName")),
            ("department", Some(urn::ENTERPRISE_USER), Some("department")),
            (
                "Manager.Value",
                Some(urn::ENTERPRISE_USER),
                Some("manager.value"),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                Some(urn::ENTERPRISE_USER),
                Some("manager.value"),
            ),
            (
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department",
                Some(urn::ENTERPRISE_USER),
                Some("department"),
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                None,
                Some("userName"),
            ),
            ("callingPlans", Some(urn::ZOOM_USER), Some("callingPlans")),
            ("type", Some(urn::ZOOM_USER), Some("type")),
            ("meta.lastModified", None, Some("meta.lastModified")),
            ("emails.value", None, Some("emails.value")),
            ("nickName", None, None),
            ("name.middleName", None, None),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName",
                None,
                None,
            ),
            ("urn:example:unknown:department", None, None),
        ];
        for (input, ext, expected) in cases {
            let resolved = user.resolve(&path(input));
            let got = resolved.map(|r| {
                let mut s = r.name().to_string();
                if let Some(sub) = r.sub_name() {
                    s = format!("{s}.{sub}");
                }
                s
            });
            assert_eq!(got.as_deref(), *expected, "{input}");
            if expected.is_some() {
                assert_eq!(resolved.and_then(|r| r.extension), *ext, "{input}");
            }
        }
        let resolved = user.resolve(&path("department"));
        assert_eq!(
            resolved.map(|r| r.canonical_path()),
            Some(format!("{}:department", urn::ENTERPRISE_USER))
        );
    }

    #[test]
    fn schema_urns_list_core_then_present_extensions() {
        let user = SchemaRegistry::global().user();
        let resource = json!({
            "userName": "a@x",
            urn::ZOOM_USER: {"type": 2},
            urn::ENTERPRISE_USER: {"department": "R&D"},
            urn::ZOOM_NATIVE_USER: {}
        });
        assert_eq!(
            user.schema_urns_for(&resource),
            vec![urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER]
        );
        assert_eq!(user.schema_urns_for(&json!({})), vec![urn::USER]);
    }
}
