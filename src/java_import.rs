//! `zoom-scim config import FILE.properties`: the ExclamationLabs Zoom connector's
//! settings (the property file of its ConnId/midPoint resource) as zoom-scim's TOML,
//! with a comment on every setting whose meaning differs (docs/java-connector.md
//! section 2). The client secret becomes a `_file` reference unless asked otherwise;
//! keys with no counterpart are listed, never dropped silently.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// How the import writes what it reads.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write the client secret into the TOML (`client_secret = "..."`) instead of a
    /// `client_secret_file` reference.
    pub inline_secrets: bool,
    /// Where the `client_secret_file` reference points.
    pub secret_file: PathBuf,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            inline_secrets: false,
            secret_file: PathBuf::from("/run/secrets/zoom_client_secret"),
        }
    }
}

/// The import's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The configuration, as TOML with comments.
    pub toml: String,
    /// Keys of the file with no zoom-scim counterpart, sorted.
    pub unknown: Vec<String>,
    /// Whether the file held a client secret the TOML does not (it goes in the
    /// `client_secret_file`).
    pub secret_left_out: bool,
}

/// A value the import cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ImportError {
    /// The property.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

const OAUTH: &str = "security.authenticator.oauth2ClientCredentials.";

/// Keys of the connector zoom-scim reads, with the prefix-less form some files use.
fn canonical(key: &str) -> &str {
    match key {
        "entitlementDeletionEnabled" => "custom.entitlementDeletionEnabled",
        other => other,
    }
}

/// The connector's own keys that have no counterpart, with why.
fn without_counterpart(key: &str) -> Option<&'static str> {
    Some(match key {
        "custom.ignoreUpdateErrorOnDisabledUser" | "custom.updateDisabledUsers" => {
            "zoom-scim answers an update of a deactivated user with 409 naming the reason, or applies it with a reactivation in the same request"
        }
        "custom.removePhoneFeatureOnDisabledUser" => {
            "zoom-scim leaves a deactivated user's Zoom Phone as Zoom keeps it; a PATCH of zoomPhoneFeature turns it off"
        }
        _ => return None,
    })
}

/// Java's `Boolean.parseBoolean`: `true` in any case is true, anything else false.
fn java_bool(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// A TOML basic string: JSON's string syntax is a subset of it.
fn toml_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// One TOML line with its comment lines.
struct Line {
    comments: Vec<String>,
    key: String,
    value: String,
}

#[derive(Default)]
struct Out {
    sections: BTreeMap<&'static str, Vec<Line>>,
}

impl Out {
    fn set(&mut self, section: &'static str, key: &str, value: String, comments: Vec<String>) {
        self.sections.entry(section).or_default().push(Line {
            comments,
            key: key.to_owned(),
            value,
        });
    }

    fn note(&mut self, section: &'static str, comment: String) {
        self.sections.entry(section).or_default().push(Line {
            comments: vec![comment],
            key: String::new(),
            value: String::new(),
        });
    }
}

/// Reads a `.properties` file's text and writes the equivalent configuration.
pub fn import(text: &str, options: &ImportOptions) -> Result<Imported, ImportError> {
    let raw: HashMap<String, String> =
        java_properties::read(text.as_bytes()).map_err(|e| ImportError {
            key: "(file)".into(),
            message: format!("not a Java properties file: {e}"),
        })?;
    let mut props: HashMap<String, String> = HashMap::new();
    for (key, value) in raw {
        // Values as Java reads them: trailing spaces belong to the value (a secret may
        // end in one); numbers and flags are trimmed where they are read.
        props.insert(canonical(key.trim()).to_owned(), value);
    }
    let mut used: Vec<String> = Vec::new();
    let mut take = |key: &str| -> Option<String> {
        let value = props.get(key).cloned();
        if value.is_some() {
            used.push(key.to_owned());
        }
        value.filter(|v| !v.is_empty())
    };
    let mut out = Out::default();

    // [zoom]
    let strings = [
        ("service.serviceUrl".to_owned(), "api_base_url"),
        (format!("{OAUTH}tokenUrl"), "token_url"),
        ("custom.accountId".to_owned(), "account_id"),
        (format!("{OAUTH}clientId"), "client_id"),
    ];
    for (property, key) in strings {
        if let Some(value) = take(&property) {
            out.set(
                "zoom",
                key,
                toml_string(value.trim()),
                vec![format!("# {property}")],
            );
        }
    }
    let mut secret_left_out = false;
    if let Some(secret) = take(&format!("{OAUTH}clientSecret")) {
        if options.inline_secrets {
            out.set(
                "zoom",
                "client_secret",
                toml_string(&secret),
                vec![format!(
                    "# {OAUTH}clientSecret, written inline as asked (--inline-secrets): keep this file private"
                )],
            );
        } else {
            secret_left_out = true;
            out.set(
                "zoom",
                "client_secret_file",
                toml_string(&options.secret_file.display().to_string()),
                vec![
                    format!("# {OAUTH}clientSecret is not written here: put it in this file (its only line),"),
                    "# readable by the service alone (or pass --inline-secrets to write it inline)".into(),
                ],
            );
        }
    }
    if let Some(scope) = take(&format!("{OAUTH}scope")) {
        out.note(
            "zoom",
            format!(
                "# {OAUTH}scope = {scope}: not a setting. A Server-to-Server OAuth app's scopes are chosen in Zoom's App Marketplace (zoom-scim uses the user, group, role and phone scopes)"
            ),
        );
    }
    if let Some(value) = take("rest.ioErrorRetries") {
        let retries: u32 = value.trim().parse().map_err(|_| ImportError {
            key: "rest.ioErrorRetries".into(),
            message: format!("`{value}` is not a whole number"),
        })?;
        out.set(
            "zoom",
            "io_error_retries",
            retries.to_string(),
            vec![
                "# rest.ioErrorRetries. The connector retried I/O errors only, at once; zoom-scim also".into(),
                "# retries 5xx answers and 429s, with backoff and within zoom.retry_deadline_s".into(),
            ],
        );
    }
    if let Some(value) = take("results.importBatchSize") {
        let size: u32 = value.trim().parse().map_err(|_| ImportError {
            key: "results.importBatchSize".into(),
            message: format!("`{value}` is not a whole number"),
        })?;
        out.set(
            "zoom",
            "page_size",
            size.max(1).to_string(),
            vec![
                "# results.importBatchSize: Zoom's page size; each endpoint clamps it to its own maximum".into(),
                "# (300 for users). zoom-scim's default, 300, costs the fewest calls".into(),
            ],
        );
    }

    // [scim]
    if let Some(value) = take("service.duplicateErrorReturnsId") {
        let adopt = java_bool(&value);
        out.set(
            "scim",
            "duplicates",
            toml_string(if adopt { "adopt" } else { "conflict" }),
            vec![if adopt {
                "# service.duplicateErrorReturnsId = true: a create that finds the user or group already there applies the request to it and answers 200 with it".into()
            } else {
                "# service.duplicateErrorReturnsId = false: a create that finds the user or group already there is 409 uniqueness, naming the existing id".into()
            }],
        );
    }
    for (property, key) in [
        ("results.deepGet", "deep_get"),
        ("results.deepImport", "deep_import"),
        ("custom.immediateLogoutOnDeactivate", "logout_on_deactivate"),
        ("custom.entitlementDeletionEnabled", "group_deletion"),
    ] {
        if let Some(value) = take(property) {
            out.set(
                "scim",
                key,
                java_bool(&value).to_string(),
                vec![format!("# {property}")],
            );
        }
    }
    if let Some(value) = take("results.pagination") {
        out.note(
            "scim",
            format!(
                "# results.pagination = {value}: not a setting; zoom-scim always pages Zoom's listings (the connector needed it on for a batch import)"
            ),
        );
    }
    let deactivate = take("custom.deactivateOnDelete");
    let disassociate = take("custom.disassociateOnDelete");
    if deactivate.is_some() || disassociate.is_some() {
        // The connector checks deactivateOnDelete (default true) first, then
        // disassociateOnDelete, else deletes (docs/java-connector.md section 5.7).
        let deactivate_on = deactivate.as_deref().is_none_or(java_bool);
        let disassociate_on = disassociate.as_deref().is_some_and(java_bool);
        let (policy, meaning) = if deactivate_on {
            (
                "deactivate",
                "a DELETE deactivates the user (kept in Zoom as inactive); a pending invitee's invitation is withdrawn",
            )
        } else if disassociate_on {
            (
                "disassociate",
                "a DELETE unlinks the user from the account (they keep a free basic account)",
            )
        } else {
            (
                "delete",
                "a DELETE deletes the user for good (see scim.delete_transfer to keep their data); a pending invitee's invitation is withdrawn, which Zoom allows where the connector's delete failed",
            )
        };
        let mut comments = vec![format!(
            "# custom.deactivateOnDelete = {}, custom.disassociateOnDelete = {}: the connector's two flags, checked in that order, are one policy here:",
            deactivate.as_deref().unwrap_or("(unset: true)"),
            disassociate.as_deref().unwrap_or("(unset: false)"),
        )];
        comments.push(format!("# {meaning}"));
        out.set("scim", "delete_policy", toml_string(policy), comments);
    }
    if let Some(value) = take("custom.userCreateAction") {
        let value = value.trim().to_owned();
        if !matches!(
            value.as_str(),
            "create" | "autoCreate" | "custCreate" | "ssoCreate"
        ) {
            return Err(ImportError {
                key: "custom.userCreateAction".into(),
                message: format!(
                    "`{value}` is not one of create, autoCreate, custCreate, ssoCreate"
                ),
            });
        }
        out.set(
            "scim",
            "create_action",
            toml_string(&value),
            vec!["# custom.userCreateAction (the Unicon fork's setting)".into()],
        );
    }

    let mut unknown: Vec<String> = props
        .keys()
        .filter(|k| !used.contains(k))
        .cloned()
        .collect();
    unknown.sort();
    let mut text = String::from(
        "# zoom-scim configuration imported from the Java Zoom connector's properties\n\
         # (zoom-scim config import). Settings the file did not name keep zoom-scim's\n\
         # defaults: see docker/zoom-scim.example.toml for every key.\n",
    );
    for (section, lines) in &out.sections {
        text.push_str(&format!("\n[{section}]\n"));
        for line in lines {
            for comment in &line.comments {
                text.push_str(comment);
                text.push('\n');
            }
            if !line.key.is_empty() {
                text.push_str(&format!("{} = {}\n", line.key, line.value));
            }
        }
    }
    if !unknown.is_empty() {
        text.push_str("\n# Not imported (no zoom-scim counterpart; values left out):\n");
        for key in &unknown {
            match without_counterpart(key) {
                Some(why) => text.push_str(&format!("#   {key}: {why}\n")),
                None => text.push_str(&format!("#   {key}\n")),
            }
        }
    }
    Ok(Imported {
        toml: text,
        unknown,
        secret_left_out,
    })
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Serialized, Toml};

    use super::*;
    use crate::config::{Config, Mode};

    /// A midPoint resource's settings, as the connector's property file holds them.
    const FILE: &str = r"
# Zoom resource
service.serviceUrl=https://api.zoom.us/v2
service.duplicateErrorReturnsId=true
rest.ioErrorRetries=7
results.deepGet=true
results.deepImport=false
results.importBatchSize=200
results.pagination=true
security.authenticator.oauth2ClientCredentials.tokenUrl=https://zoom.us/oauth/token
security.authenticator.oauth2ClientCredentials.clientId=client-abc
security.authenticator.oauth2ClientCredentials.clientSecret=s3cr\=et
security.authenticator.oauth2ClientCredentials.scope=user:master
custom.accountId=acc-123
custom.deactivateOnDelete=false
custom.disassociateOnDelete=true
custom.immediateLogoutOnDeactivate=TRUE
entitlementDeletionEnabled=true
custom.userCreateAction=ssoCreate
custom.updateDisabledUsers=true
connector.somethingElse=x
";

    fn config_of(toml: &str) -> Config {
        let figment =
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml));
        let config: Config = figment
            .extract()
            .expect("the output is zoom-scim configuration");
        config
    }

    #[test]
    fn every_key_lands_on_its_counterpart() {
        let imported = import(FILE, &ImportOptions::default()).unwrap();
        let config = config_of(&imported.toml);
        assert_eq!(config.zoom.api_base_url, "https://api.zoom.us/v2");
        assert_eq!(config.zoom.token_url, "https://zoom.us/oauth/token");
        assert_eq!(config.zoom.client_id, "client-abc");
        assert_eq!(config.zoom.account_id, "acc-123");
        assert_eq!(config.zoom.io_error_retries, 7);
        assert_eq!(config.zoom.page_size, 200);
        assert_eq!(
            config.scim.duplicates,
            crate::provider::DuplicatePolicy::Adopt
        );
        assert!(config.scim.deep_get);
        assert!(!config.scim.deep_import);
        assert!(
            config.scim.logout_on_deactivate,
            "Java's parseBoolean ignores case"
        );
        assert!(config.scim.group_deletion, "the prefix-less key too");
        assert_eq!(
            config.scim.delete_policy,
            crate::provider::DeletePolicy::Disassociate
        );
        assert_eq!(
            config.scim.create_action,
            crate::zoom::model::CreateAction::SsoCreate
        );
        // The secret is a file reference; the scope and pagination are explained.
        assert_eq!(config.zoom.client_secret, None);
        assert_eq!(
            config.zoom.client_secret_file,
            Some(PathBuf::from("/run/secrets/zoom_client_secret"))
        );
        assert!(imported.secret_left_out);
        assert!(!imported.toml.contains("s3cr"), "{}", imported.toml);
        assert!(imported.toml.contains("scope = user:master: not a setting"));
        assert!(
            imported
                .toml
                .contains("results.pagination = true: not a setting")
        );
        // With credentials the result is a configuration `serve` accepts.
        let mut config = config;
        config.zoom.client_secret = Some(crate::secret::Secret::new("from the file"));
        config.auth.tokens = vec![crate::secret::Secret::new("scim-token")];
        config.validate(Mode::Serve).unwrap();
    }

    #[test]
    fn unknown_keys_are_listed_without_their_values() {
        let imported = import(FILE, &ImportOptions::default()).unwrap();
        assert_eq!(
            imported.unknown,
            ["connector.somethingElse", "custom.updateDisabledUsers"]
        );
        assert!(imported.toml.contains("#   connector.somethingElse\n"));
        assert!(
            imported
                .toml
                .contains("#   custom.updateDisabledUsers: zoom-scim answers")
        );
        assert!(!imported.toml.contains("= x"));
    }

    #[test]
    fn the_secret_is_inline_only_when_asked() {
        let options = ImportOptions {
            inline_secrets: true,
            ..ImportOptions::default()
        };
        let imported = import(FILE, &options).unwrap();
        let config = config_of(&imported.toml);
        // `\=` in a properties file is an escaped `=`.
        assert_eq!(
            config
                .zoom
                .client_secret
                .as_ref()
                .map(crate::secret::Secret::expose),
            Some("s3cr=et")
        );
        assert_eq!(config.zoom.client_secret_file, None);
        assert!(!imported.secret_left_out);
        let elsewhere = ImportOptions {
            secret_file: PathBuf::from("/etc/zoom-scim/secret"),
            ..ImportOptions::default()
        };
        let config = config_of(&import(FILE, &elsewhere).unwrap().toml);
        assert_eq!(
            config.zoom.client_secret_file,
            Some(PathBuf::from("/etc/zoom-scim/secret"))
        );
    }

    #[test]
    fn the_two_delete_flags_become_one_policy_in_the_connectors_order() {
        use crate::provider::DeletePolicy;
        for (deactivate, disassociate, policy) in [
            (Some("true"), Some("true"), DeletePolicy::Deactivate),
            (None, Some("true"), DeletePolicy::Deactivate),
            (Some("false"), Some("true"), DeletePolicy::Disassociate),
            (Some("false"), Some("false"), DeletePolicy::Delete),
            (Some("false"), None, DeletePolicy::Delete),
            (Some("true"), None, DeletePolicy::Deactivate),
        ] {
            let mut file = String::new();
            if let Some(v) = deactivate {
                file.push_str(&format!("custom.deactivateOnDelete={v}\n"));
            }
            if let Some(v) = disassociate {
                file.push_str(&format!("custom.disassociateOnDelete={v}\n"));
            }
            let imported = import(&file, &ImportOptions::default()).unwrap();
            assert_eq!(
                config_of(&imported.toml).scim.delete_policy,
                policy,
                "{file}"
            );
            assert!(imported.toml.contains("the connector's two flags"));
        }
        // Neither flag: zoom-scim's default, nothing written.
        let imported = import("results.deepGet=false\n", &ImportOptions::default()).unwrap();
        assert!(!imported.toml.contains("delete_policy"));
    }

    #[test]
    fn a_duplicate_flag_off_is_the_conflict_policy() {
        let imported = import(
            "service.duplicateErrorReturnsId=false\n",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(
            config_of(&imported.toml).scim.duplicates,
            crate::provider::DuplicatePolicy::Conflict
        );
    }

    #[test]
    fn unusable_values_are_named() {
        for (file, key) in [
            ("rest.ioErrorRetries=many\n", "rest.ioErrorRetries"),
            ("results.importBatchSize=-3\n", "results.importBatchSize"),
            (
                "custom.userCreateAction=invite\n",
                "custom.userCreateAction",
            ),
        ] {
            let err = import(file, &ImportOptions::default()).unwrap_err();
            assert_eq!(err.key, key, "{err}");
        }
    }

    #[test]
    fn a_secrets_trailing_space_is_kept_as_java_keeps_it() {
        let options = ImportOptions {
            inline_secrets: true,
            ..ImportOptions::default()
        };
        let imported = import(
            "security.authenticator.oauth2ClientCredentials.clientSecret=ends-in-space \n\
             custom.accountId=  acc-9  \n",
            &options,
        )
        .unwrap();
        let config = config_of(&imported.toml);
        assert_eq!(
            config
                .zoom
                .client_secret
                .as_ref()
                .map(crate::secret::Secret::expose),
            Some("ends-in-space ")
        );
        assert_eq!(config.zoom.account_id, "acc-9");
    }

    #[test]
    fn values_with_quotes_and_backslashes_stay_valid_toml() {
        let imported = import("custom.accountId=a\"b\\\\c\n", &ImportOptions::default()).unwrap();
        assert_eq!(config_of(&imported.toml).zoom.account_id, "a\"b\\c");
    }
}
