//! Bearer authentication of SCIM clients (RFC 6750): configured static tokens,
//! compared in constant time, and/or JWTs validated with a pinned algorithm.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{AuthConfig, JwtAlgorithm};
use crate::scim::error::ScimError;

/// Validates bearer tokens.
pub struct Authenticator {
    /// SHA-256 digests of the static tokens: comparing fixed-length digests in constant
    /// time reveals neither a token's content nor its length.
    static_digests: Vec<[u8; 32]>,
    jwt: Option<(DecodingKey, Validation)>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("static_tokens", &self.static_digests.len())
            .field("jwt", &self.jwt.as_ref().map(|(_, v)| &v.algorithms))
            .finish()
    }
}

/// Why a configured JWT key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration: `{key}` (env {env}): {message}")]
pub struct AuthSetupError {
    key: &'static str,
    env: &'static str,
    message: String,
}

impl Authenticator {
    /// Builds the validator from the configuration.
    pub fn new(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        let static_digests = config.tokens.iter().map(|t| digest(t.expose())).collect();
        let jwt = match config.jwt.algorithm {
            None => None,
            Some(alg) => {
                let (key, algorithm) =
                    match alg {
                        JwtAlgorithm::HS256 => {
                            let secret =
                                config.jwt.secret.as_ref().ok_or_else(|| AuthSetupError {
                                    key: "auth.jwt.secret",
                                    env: "ZOOM_SCIM_AUTH__JWT__SECRET",
                                    message: "is required for HS256".into(),
                                })?;
                            (
                                DecodingKey::from_secret(secret.expose().as_bytes()),
                                Algorithm::HS256,
                            )
                        }
                        JwtAlgorithm::RS256 | JwtAlgorithm::ES256 => {
                            let pem = config.jwt.public_key_pem.as_ref().ok_or_else(|| {
                                AuthSetupError {
                                    key: "auth.jwt.public_key_pem",
                                    env: "ZOOM_SCIM_AUTH__JWT__PUBLIC_KEY_PEM",
                                    message: "is required for RS256/ES256".into(),
                                }
                            })?;
                            let bytes = pem.expose().as_bytes();
                            let parsed = if alg == JwtAlgorithm::RS256 {
                                DecodingKey::from_rsa_pem(bytes).map(|k| (k, Algorithm::RS256))
                            } else {
                                DecodingKey::from_ec_pem(bytes).map(|k| (k, Algorithm::ES256))
                            };
                            parsed.map_err(|e| AuthSetupError {
                                key: "auth.jwt.public_key_pem",
                                env: "ZOOM_SCIM_AUTH__JWT__PUBLIC_KEY_PEM",
                                message: format!("not a usable {alg:?} public key: {e}"),
                            })?
                        }
                    };
                // The algorithm is pinned: a token signed with any other one is refused.
                let mut validation = Validation::new(algorithm);
                validation.validate_exp = true;
                validation.validate_nbf = true;
                validation.leeway = config.jwt.leeway_s;
                validation.set_required_spec_claims(&["exp"]);
                if let Some(iss) = &config.jwt.issuer {
                    validation.set_issuer(&[iss]);
                }
                match &config.jwt.audience {
                    Some(aud) => validation.set_audience(&[aud]),
                    None => validation.validate_aud = false,
                }
                Some((key, validation))
            }
        };
        Ok(Self {
            static_digests,
            jwt,
        })
    }

    /// Checks one presented bearer token.
    pub fn check(&self, token: &str) -> Result<(), ScimError> {
        let presented = digest(token);
        // Compare against every configured token so timing does not tell which matched.
        let static_match = self
            .static_digests
            .iter()
            .fold(subtle::Choice::from(0), |acc, d| acc | d.ct_eq(&presented));
        if bool::from(static_match) {
            return Ok(());
        }
        if let Some((key, validation)) = &self.jwt {
            return match jsonwebtoken::decode::<serde_json::Value>(token, key, validation) {
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::info!(reason = %e, "Bearer JWT refused.");
                    Err(ScimError::unauthorized(format!(
                        "bearer token refused: {}",
                        jwt_reason(&e)
                    )))
                }
            };
        }
        Err(ScimError::unauthorized("bearer token is not valid"))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn jwt_reason(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid (nbf)",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidAlgorithm => "algorithm not accepted",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "malformed token",
    }
}

/// Axum middleware: refuses requests without a valid `Authorization: Bearer` header
/// with 401 and a SCIM error body.
pub async fn require_bearer(
    State(auth): State<Arc<Authenticator>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match presented {
        None => ScimError::unauthorized("missing `Authorization: Bearer <token>` header")
            .into_response(),
        Some(token) => match auth.check(token) {
            Ok(()) => next.run(request).await,
            Err(e) => e.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtConfig;
    use crate::secret::Secret;
    use jsonwebtoken::{EncodingKey, Header, encode};

    fn hs_config() -> AuthConfig {
        AuthConfig {
            tokens: vec![Secret::new("static-one")],
            tokens_file: None,
            jwt: JwtConfig {
                algorithm: Some(JwtAlgorithm::HS256),
                secret: Some(Secret::new("jwt-secret")),
                issuer: Some("https://idp.example".into()),
                audience: Some("zoom-scim".into()),
                ..JwtConfig::default()
            },
        }
    }

    fn token(claims: serde_json::Value, alg: Algorithm, secret: &str) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn static_tokens_and_jwt_claims() {
        let auth = Authenticator::new(&hs_config()).unwrap();
        assert!(auth.check("static-one").is_ok());
        assert_eq!(auth.check("static-two").unwrap_err().status, 401);
        let good = serde_json::json!({"exp": now() + 60, "iss": "https://idp.example", "aud": "zoom-scim"});
        assert!(
            auth.check(&token(good.clone(), Algorithm::HS256, "jwt-secret"))
                .is_ok()
        );
        // Wrong secret, wrong issuer, wrong audience, expired, not yet valid, no exp,
        // and an algorithm other than the pinned one are all refused.
        assert!(
            auth.check(&token(good.clone(), Algorithm::HS256, "other"))
                .is_err()
        );
        assert!(
            auth.check(&token(good.clone(), Algorithm::HS384, "jwt-secret"))
                .is_err()
        );
        let mut bad = good.clone();
        bad["iss"] = "https://evil".into();
        assert!(
            auth.check(&token(bad, Algorithm::HS256, "jwt-secret"))
                .is_err()
        );
        let mut bad = good.clone();
        bad["aud"] = "other".into();
        assert!(
            auth.check(&token(bad, Algorithm::HS256, "jwt-secret"))
                .is_err()
        );
        let mut bad = good.clone();
        bad["exp"] = (now() - 120).into();
        assert!(
            auth.check(&token(bad, Algorithm::HS256, "jwt-secret"))
                .is_err()
        );
        let mut bad = good.clone();
        bad["nbf"] = (now() + 600).into();
        assert!(
            auth.check(&token(bad, Algorithm::HS256, "jwt-secret"))
                .is_err()
        );
        let no_exp = serde_json::json!({"iss": "https://idp.example", "aud": "zoom-scim"});
        assert!(
            auth.check(&token(no_exp, Algorithm::HS256, "jwt-secret"))
                .is_err()
        );
    }

    #[test]
    fn debug_does_not_show_tokens() {
        let auth = Authenticator::new(&hs_config()).unwrap();
        let dump = format!("{auth:?}");
        assert!(!dump.contains("static-one") && !dump.contains("jwt-secret"));
    }
}
