//! Service configuration: one typed struct, layered as defaults, then a TOML file
//! (`--config`), then `ZOOM_SCIM_*` environment variables (nested keys joined by `__`),
//! then command-line flags. Secrets also load from `*_file` keys (`*_FILE` variables),
//! which take precedence over the inline value.
//!
//! Every key is documented in the README table and in `docker/zoom-scim.example.toml`;
//! a test keeps those two in step with [`Config::documented_keys`].

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::http::{AuthConfig, Authenticator, ServerConfig};
use crate::provider::ScimConfig;
use crate::secret::Secret;
use crate::setting::{self, Invalid};
use crate::store::StoreConfig;
use crate::telemetry::LogConfig;
use crate::zoom::ZoomConfig;

/// The prefix of every environment variable the service reads.
pub const ENV_PREFIX: &str = "ZOOM_SCIM_";

/// The environment variable that carries a config key, e.g. `zoom.client_id` ->
/// `ZOOM_SCIM_ZOOM__CLIENT_ID`.
pub fn env_var_for(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

/// A configuration problem, naming both the key and its environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: `{key}` (env {env}): {message}")]
pub struct ConfigError {
    /// Dotted config key, e.g. `zoom.client_secret`.
    pub key: String,
    /// The matching environment variable.
    pub env: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem with one key.
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            env: env_var_for(key),
            message: message.into(),
        }
    }

    /// A setting refused by its section, named with the section's prefix.
    pub fn in_section(section: &str, invalid: Invalid) -> Self {
        Self::new(&format!("{section}.{}", invalid.key), invalid.message)
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The SCIM HTTP server.
    pub server: ServerConfig,
    /// Logging.
    pub log: LogConfig,
    /// How SCIM clients authenticate.
    pub auth: AuthConfig,
    /// The Zoom account and how to talk to it.
    pub zoom: ZoomConfig,
    /// SCIM behaviour and provisioning policies.
    pub scim: ScimConfig,
    /// What the service keeps of its own.
    pub store: StoreConfig,
}

fn split_tokens(s: &str) -> Vec<Secret> {
    setting::split_list(s).map(Secret::from).collect()
}

/// Reads a secret file: the whole content minus trailing line breaks.
fn read_secret_file(key: &str, path: &Path) -> Result<Secret, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| Secret::new(s.trim_end_matches(['\r', '\n'])))
        .map_err(|e| ConfigError::new(key, format!("cannot read {}: {e}", path.display())))
}

/// What the loaded configuration is used for; decides which settings are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve`: a real Zoom account.
    Serve,
    /// `demo`: the built-in simulator stands in for Zoom.
    Demo,
}

impl Config {
    /// Loads defaults, the optional TOML file, the environment and `overrides` (flags),
    /// in that order, then resolves `*_file` secrets. Does not validate.
    pub fn load(file: Option<&Path>, overrides: Figment) -> Result<Self, ConfigError> {
        Self::load_from_env(file, overrides, Self::env_provider())
    }

    /// The `ZOOM_SCIM_<SECTION>__<KEY>` variables. `ZOOM_SCIM_CONFIG` names the file
    /// (a command-line setting read by clap), not a key.
    pub fn env_provider() -> Env {
        Env::prefixed(ENV_PREFIX).ignore(&["config"]).split("__")
    }

    /// [`Config::load`] with an explicit environment provider (for tests).
    pub fn load_from_env(
        file: Option<&Path>,
        overrides: Figment,
        env: Env,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError {
                    key: "--config".to_owned(),
                    env: "ZOOM_SCIM_CONFIG".to_owned(),
                    message: format!("file {} does not exist", path.display()),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        let figment = figment.merge(env).merge(overrides);
        let mut config: Config = figment.extract().map_err(|e| figment_error(e, file))?;
        config.resolve_secret_files()?;
        Ok(config)
    }

    fn resolve_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(path) = &self.zoom.client_secret_file {
            self.zoom.client_secret = Some(read_secret_file("zoom.client_secret_file", path)?);
        }
        if let Some(path) = &self.zoom.webhook_secret_token_file {
            self.zoom.webhook_secret_token =
                Some(read_secret_file("zoom.webhook_secret_token_file", path)?);
        }
        if let Some(path) = &self.auth.tokens_file {
            let content = read_secret_file("auth.tokens_file", path)?;
            self.auth.tokens = split_tokens(content.expose());
        }
        if let Some(path) = &self.store.url_file {
            let url = read_secret_file("store.url_file", path)?;
            self.store.url = crate::store::StoreUrl::new(url.expose());
        }
        if let Some(path) = &self.auth.jwt.secret_file {
            self.auth.jwt.secret = Some(read_secret_file("auth.jwt.secret_file", path)?);
        }
        if let Some(path) = &self.auth.jwt.public_key_file {
            self.auth.jwt.public_key_pem =
                Some(read_secret_file("auth.jwt.public_key_file", path)?);
        }
        Ok(())
    }

    /// Checks the settings `mode` needs, section by section; the first problem names
    /// its key and variable.
    pub fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        if mode == Mode::Serve {
            self.zoom
                .require_credentials()
                .map_err(|e| ConfigError::in_section("zoom", e))?;
            self.auth
                .require_a_method()
                .map_err(|e| ConfigError::in_section("auth", e))?;
        }
        self.server
            .validate()
            .map_err(|e| ConfigError::in_section("server", e))?;
        self.log
            .validate()
            .map_err(|e| ConfigError::in_section("log", e))?;
        Authenticator::new(&self.auth).map_err(|e| ConfigError::in_section("auth", e))?;
        self.zoom
            .validate()
            .map_err(|e| ConfigError::in_section("zoom", e))?;
        self.scim
            .validate()
            .map_err(|e| ConfigError::in_section("scim", e))?;
        self.check_webhook_path()?;
        self.store
            .validate()
            .map_err(|e| ConfigError::in_section("store", e))
    }

    /// The webhook path must be a route of its own: not under the SCIM base path (whose
    /// routes want a bearer token) nor one of the service's other paths.
    fn check_webhook_path(&self) -> Result<(), ConfigError> {
        let path = self.zoom.webhook_path.trim_end_matches('/');
        let base = self.scim.base_path.trim_end_matches('/');
        let clash = (!base.is_empty() && (path == base || path.starts_with(&format!("{base}/"))))
            || crate::http::RESERVED_PATHS.contains(&path);
        if clash {
            return Err(ConfigError::in_section(
                "zoom",
                crate::setting::Invalid::new(
                    "webhook_path",
                    format!(
                        "`{}` is taken (the SCIM base path is `{}`; /healthz, /readyz, /metrics and /openapi.json are the service's)",
                        self.zoom.webhook_path, self.scim.base_path
                    ),
                ),
            ));
        }
        Ok(())
    }

    /// Every leaf key, dotted, in declaration order (documentation drift test).
    pub fn documented_keys() -> Vec<String> {
        let value = serde_json::to_value(Config::default()).expect("config serializes");
        let mut keys = Vec::new();
        collect_keys(&value, "", &mut keys);
        keys
    }
}

fn collect_keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if v.is_object() {
                    collect_keys(v, &key, out);
                } else {
                    out.push(key);
                }
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Turns a figment error into one that names the key and its variable; an error with
/// no key (the TOML file does not parse) names the file instead.
fn figment_error(err: figment::Error, file: Option<&Path>) -> ConfigError {
    let key = err.path.join(".");
    let message = err.kind.to_string();
    if key.is_empty() {
        let file = file.map_or_else(|| "(none)".to_owned(), |f| f.display().to_string());
        ConfigError {
            key: "--config".to_owned(),
            env: "ZOOM_SCIM_CONFIG".to_owned(),
            message: format!("file {file}: {message}"),
        }
    } else {
        ConfigError::new(&key, message)
    }
}

#[cfg(test)]
// figment's `Jail::expect_with` fixes the closure's error type (`figment::Error`).
#[allow(clippy::result_large_err)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::http::JwtAlgorithm;
    use figment::Jail;

    fn load(jail_env: &[(&str, &str)], toml: Option<&str>) -> Result<Config, ConfigError> {
        let mut result = None;
        Jail::expect_with(|jail| {
            for (k, v) in jail_env {
                jail.set_env(k, v);
            }
            let path = toml.map(|t| {
                jail.create_file("c.toml", t).unwrap();
                PathBuf::from("c.toml")
            });
            result = Some(Config::load(path.as_deref(), Figment::new()));
            Ok(())
        });
        result.unwrap()
    }

    #[test]
    fn layers_defaults_file_env_in_order() {
        let config = load(
            &[
                ("ZOOM_SCIM_ZOOM__CLIENT_ID", "from-env"),
                ("ZOOM_SCIM_SCIM__DEFAULT_COUNT", "50"),
            ],
            Some(
                "[zoom]\nclient_id = \"from-file\"\naccount_id = \"acc\"\n[scim]\ndefault_count = 20\n",
            ),
        )
        .unwrap();
        assert_eq!(config.zoom.client_id, "from-env");
        assert_eq!(config.zoom.account_id, "acc");
        assert_eq!(config.scim.default_count, Some(50));
        assert_eq!(config.scim.cursor_cache_size, 1024);
    }

    #[test]
    fn flags_override_everything() {
        let mut got = None;
        Jail::expect_with(|jail| {
            jail.set_env("ZOOM_SCIM_SERVER__LISTEN", "127.0.0.1:9000");
            let flags = Figment::from(Serialized::global("server.listen", "127.0.0.1:9100"));
            got = Some(Config::load(None, flags).unwrap());
            Ok(())
        });
        assert_eq!(got.unwrap().server.listen.port(), 9100);
    }

    #[test]
    fn secret_files_take_precedence_and_tokens_split() {
        let mut got = None;
        Jail::expect_with(|jail| {
            jail.create_file("secret.txt", "file-secret\n")?;
            jail.set_env("ZOOM_SCIM_ZOOM__CLIENT_SECRET", "inline");
            jail.set_env("ZOOM_SCIM_ZOOM__CLIENT_SECRET_FILE", "secret.txt");
            jail.set_env("ZOOM_SCIM_AUTH__TOKENS", "tok-a, tok-b");
            got = Some(Config::load(None, Figment::new()).unwrap());
            Ok(())
        });
        let config = got.unwrap();
        assert_eq!(config.zoom.client_secret.unwrap().expose(), "file-secret");
        let tokens: Vec<_> = config
            .auth
            .tokens
            .iter()
            .map(|t| t.expose().to_owned())
            .collect();
        assert_eq!(tokens, ["tok-a", "tok-b"]);
    }

    #[test]
    fn the_webhook_secret_token_loads_from_its_file() {
        let mut got = None;
        Jail::expect_with(|jail| {
            jail.create_file("webhook.txt", "whsec\n")?;
            jail.set_env("ZOOM_SCIM_ZOOM__WEBHOOK_SECRET_TOKEN_FILE", "webhook.txt");
            got = Some(Config::load(None, Figment::new()).unwrap());
            Ok(())
        });
        let config = got.unwrap();
        assert_eq!(
            config
                .zoom
                .webhook_secret_token
                .as_ref()
                .map(Secret::expose),
            Some("whsec")
        );
        assert!(!format!("{config:?}").contains("whsec"));
        assert!(config.zoom.webhook_verifier().is_some());
        assert!(Config::default().zoom.webhook_verifier().is_none());
    }

    #[test]
    fn invalid_value_names_key_and_env() {
        let err = load(&[("ZOOM_SCIM_SCIM__DELETE_POLICY", "explode")], None).unwrap_err();
        assert_eq!(err.key, "scim.delete_policy");
        assert_eq!(err.env, "ZOOM_SCIM_SCIM__DELETE_POLICY");
        let text = err.to_string();
        assert!(
            text.contains("scim.delete_policy") && text.contains("ZOOM_SCIM_SCIM__DELETE_POLICY")
        );
    }

    #[test]
    fn serve_requires_credentials_naming_both_names() {
        let config = Config::default();
        let err = config.validate(Mode::Serve).unwrap_err();
        assert_eq!(err.key, "zoom.account_id");
        assert!(err.to_string().contains("ZOOM_SCIM_ZOOM__ACCOUNT_ID"));
        assert!(config.validate(Mode::Demo).is_ok());
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let mut config = Config::default();
        config.zoom.client_secret = Some(Secret::new("s3cr3t-value"));
        config.auth.tokens = vec![Secret::new("bearer-value")];
        let dump = format!("{config:?}");
        assert!(!dump.contains("s3cr3t-value") && !dump.contains("bearer-value"));
    }

    #[test]
    fn the_config_file_variable_is_not_a_key() {
        // `ZOOM_SCIM_CONFIG` names the file (clap reads it); the key provider skips it.
        let config = load(
            &[("ZOOM_SCIM_CONFIG", "c.toml")],
            Some("[scim]\ndefault_count = 20\n"),
        )
        .unwrap();
        assert_eq!(config.scim.default_count, Some(20));
    }

    #[test]
    fn an_empty_jwt_algorithm_turns_jwt_off() {
        let config = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "")], None).unwrap();
        assert_eq!(config.auth.jwt.algorithm, None);
        let config = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "RS256")], None).unwrap();
        assert_eq!(config.auth.jwt.algorithm, Some(JwtAlgorithm::RS256));
        let err = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "HS512")], None).unwrap_err();
        assert_eq!(err.key, "auth.jwt.algorithm");
        assert!(err.message.contains("HS512"), "{err}");
    }

    #[test]
    fn protected_users_take_a_comma_separated_string() {
        let config = load(
            &[(
                "ZOOM_SCIM_SCIM__PROTECTED_USERS",
                "a@example.com, b@example.com",
            )],
            None,
        )
        .unwrap();
        assert_eq!(
            config.scim.protected_users,
            ["a@example.com", "b@example.com"]
        );
        let config = load(&[], Some("[scim]\nprotected_users = [\"c@example.com\"]\n")).unwrap();
        assert_eq!(config.scim.protected_users, ["c@example.com"]);
    }

    #[test]
    fn a_toml_syntax_error_names_the_file() {
        let err = load(&[], Some("[server\nlisten = 1\n")).unwrap_err();
        assert_eq!(err.key, "--config");
        assert_eq!(err.env, "ZOOM_SCIM_CONFIG");
        assert!(err.message.starts_with("file c.toml: "), "{err}");
    }

    #[test]
    fn validation_refuses_unusable_urls_and_limits() {
        let refused = |change: &dyn Fn(&mut Config)| {
            let mut config = Config::default();
            change(&mut config);
            config.validate(Mode::Demo).unwrap_err()
        };
        let err = refused(&|c| c.server.public_url = "notaurl".into());
        assert_eq!(err.key, "server.public_url");
        let err = refused(&|c| c.server.public_url = "ftp://scim.example.com".into());
        assert_eq!(err.key, "server.public_url");
        let err = refused(&|c| c.zoom.api_base_url = "https://api.zoom.us/v3".into());
        assert_eq!(err.key, "zoom.api_base_url");
        assert!(err.message.contains("/v2"), "{err}");
        let err = refused(&|c| c.zoom.token_url = "zoom.us/oauth/token".into());
        assert_eq!(err.key, "zoom.token_url");
        let err = refused(&|c| c.server.request_timeout_s = 0);
        assert_eq!(err.key, "server.request_timeout_s");
        let err = refused(&|c| c.server.max_body_bytes = 0);
        assert_eq!(err.key, "server.max_body_bytes");
        let err = refused(&|c| c.scim.default_count = Some(0));
        assert_eq!(err.key, "scim.default_count");
        let err = refused(&|c| c.zoom.retry_max_ms = 10);
        assert_eq!(err.key, "zoom.retry_max_ms");
        for path in [
            "/scim/v2",
            "/scim/v2/hooks",
            "/healthz",
            "/metrics",
            "zoom",
            "/",
        ] {
            let err = refused(&|c| c.zoom.webhook_path = path.into());
            assert_eq!(err.key, "zoom.webhook_path", "{path}");
        }

        let mut config = Config::default();
        config.server.public_url = "https://scim.example.com/zoom/".into();
        config.zoom.api_base_url = "http://127.0.0.1:9090/v2/".into();
        config.validate(Mode::Demo).unwrap();
        assert_eq!(config.server.public_base(), "https://scim.example.com/zoom");
    }

    #[test]
    fn a_section_refusal_names_the_full_key_and_its_variable() {
        let mut config = Config::default();
        config.auth.jwt.algorithm = Some(JwtAlgorithm::HS256);
        config.auth.jwt.audience = Some("zoom-scim".into());
        config.auth.jwt.secret = Some(Secret::new("short"));
        let err = config.validate(Mode::Demo).unwrap_err();
        assert_eq!(err.key, "auth.jwt.secret");
        assert_eq!(err.env, "ZOOM_SCIM_AUTH__JWT__SECRET");
        assert!(err.message.contains("at least 32 bytes"), "{err}");
        let mut config = Config::default();
        config.log.level = "zoom_scim=loud".into();
        assert_eq!(config.validate(Mode::Demo).unwrap_err().key, "log.level");
        let mut config = Config::default();
        config.scim.delete_transfer.meeting = true;
        let err = config.validate(Mode::Demo).unwrap_err();
        assert_eq!(err.env, "ZOOM_SCIM_SCIM__DELETE_TRANSFER__EMAIL");
    }

    #[test]
    fn env_var_names() {
        assert_eq!(
            env_var_for("zoom.client_secret_file"),
            "ZOOM_SCIM_ZOOM__CLIENT_SECRET_FILE"
        );
    }
}
