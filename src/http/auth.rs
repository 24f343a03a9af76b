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

use super::settings::{AuthConfig, JwtAlgorithm, JwtConfig};
use crate::scim::error::ScimError;
use crate::setting::Invalid;

/// Validates bearer tokens.
pub struct Authenticator {
    /// SHA-256 digests of the static tokens, each with the client it names: comparing
    /// fixed-length digests in constant time reveals neither a token's content nor its
    /// length.
    static_digests: Vec<([u8; 32], ClientName)>,
    jwt: Option<(DecodingKey, Validation)>,
}

/// Who sent a request, as the journal names it: a static token's configured name
/// (`name:token`), `token-` and the first 8 hex digits of an unnamed token's SHA-256,
/// or `jwt:` and the JWT's `sub`. Never a token. Added to the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName(pub Arc<str>);

/// A configured static token, `name:token` or a bare token: the name and the token.
/// A name is 1 to 64 letters, digits, `.`, `_` or `-`, so a token holding a colon
/// after anything else stays whole.
pub fn named_token(entry: &str) -> (Option<&str>, &str) {
    match entry.split_once(':') {
        Some((name, token))
            if !token.is_empty()
                && (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) =>
        {
            (Some(name), token)
        }
        _ => (None, entry),
    }
}

/// A JWT subject as a client name: clipped, control characters escaped.
fn subject_name(sub: Option<&str>) -> ClientName {
    let sub = sub.unwrap_or("(no sub)");
    let clipped: String = sub.chars().take(128).collect();
    ClientName(format!("jwt:{}", crate::telemetry::escape_controls(&clipped)).into())
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("static_tokens", &self.static_digests.len())
            .field("jwt", &self.jwt.as_ref().map(|(_, v)| &v.algorithms))
            .finish()
    }
}

/// The shortest HS256 secret accepted: RFC 7518 section 3.2 asks for a key of at least
/// the hash's size (256 bits).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// The smallest RSA modulus accepted, in bits (RFC 7518 section 3.3).
pub const MIN_RSA_BITS: usize = 2048;

/// `auth.jwt.audience` value that accepts a token for any audience.
pub const ANY_AUDIENCE: &str = "*";

/// The bits of an RSA public key in PEM (SubjectPublicKeyInfo or PKCS#1).
fn rsa_bits(pem: &str) -> Option<usize> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;

    let key = rsa::RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .ok()?;
    Some(key.n().bits())
}

/// The pinned key and validation rules of the JWT configuration: the one place that
/// checks it (start-up refuses a weak key or a missing audience, naming the key and its
/// environment variable).
fn jwt_validator(
    config: &JwtConfig,
    alg: JwtAlgorithm,
) -> Result<(DecodingKey, Validation), Invalid> {
    let (key, algorithm) = match alg {
        JwtAlgorithm::HS256 => {
            const KEY: &str = "jwt.secret";
            let secret = config
                .secret
                .as_ref()
                .ok_or_else(|| Invalid::new(KEY, "is required for HS256"))?;
            let len = secret.expose().len();
            if len < MIN_HS256_SECRET_BYTES {
                return Err(Invalid::new(
                    KEY,
                    format!(
                        "is {len} bytes; HS256 needs a secret of at least {MIN_HS256_SECRET_BYTES} bytes (RFC 7518 section 3.2)"
                    ),
                ));
            }
            (
                DecodingKey::from_secret(secret.expose().as_bytes()),
                Algorithm::HS256,
            )
        }
        JwtAlgorithm::RS256 | JwtAlgorithm::ES256 => {
            const KEY: &str = "jwt.public_key_pem";
            let pem = config
                .public_key_pem
                .as_ref()
                .ok_or_else(|| Invalid::new(KEY, "is required for RS256/ES256"))?;
            let bytes = pem.expose().as_bytes();
            let parsed = if alg == JwtAlgorithm::RS256 {
                DecodingKey::from_rsa_pem(bytes).map(|k| (k, Algorithm::RS256))
            } else {
                DecodingKey::from_ec_pem(bytes).map(|k| (k, Algorithm::ES256))
            };
            let parsed = parsed
                .map_err(|e| Invalid::new(KEY, format!("not a usable {alg:?} public key: {e}")))?;
            if alg == JwtAlgorithm::RS256 {
                match rsa_bits(pem.expose()) {
                    Some(bits) if bits >= MIN_RSA_BITS => {}
                    Some(bits) => {
                        return Err(Invalid::new(
                            KEY,
                            format!(
                                "is a {bits}-bit RSA key; RS256 needs at least {MIN_RSA_BITS} bits (RFC 7518 section 3.3)"
                            ),
                        ));
                    }
                    None => {
                        return Err(Invalid::new(
                            KEY,
                            "is not an RSA public key in PEM (SubjectPublicKeyInfo or PKCS#1)",
                        ));
                    }
                }
            }
            parsed
        }
    };
    // The algorithm is pinned: a token signed with any other one is refused.
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.leeway = config.leeway_s;
    validation.set_required_spec_claims(&["exp"]);
    if let Some(iss) = &config.issuer {
        validation.set_issuer(&[iss]);
    }
    // RFC 7519 section 4.1.3: a token minted for another application must not pass, so
    // the audience is required; `*` says, explicitly, that any audience will do.
    match config.audience.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(Invalid::new(
                "jwt.audience",
                format!(
                    "is required with JWT validation (the `aud` this service's tokens carry), or `{ANY_AUDIENCE}` to accept any audience"
                ),
            ));
        }
        Some(ANY_AUDIENCE) => validation.validate_aud = false,
        Some(aud) => validation.set_audience(&[aud]),
    }
    Ok((key, validation))
}

impl Authenticator {
    /// Builds the validator from the configuration; refuses a JWT configuration with a
    /// missing or weak key or no audience.
    pub fn new(config: &AuthConfig) -> Result<Self, Invalid> {
        let static_digests = config
            .tokens
            .iter()
            .map(|entry| {
                let (name, token) = named_token(entry.expose());
                let digest = digest(token);
                let name = match name {
                    Some(name) => name.to_owned(),
                    None => format!(
                        "token-{}",
                        digest[..4]
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    ),
                };
                (digest, ClientName(name.into()))
            })
            .collect();
        let jwt = match config.jwt.algorithm {
            None => None,
            Some(alg) => Some(jwt_validator(&config.jwt, alg)?),
        };
        Ok(Self {
            static_digests,
            jwt,
        })
    }

    /// Checks one presented bearer token.
    pub fn check(&self, token: &str) -> Result<ClientName, ScimError> {
        let presented = digest(token);
        // Compare against every configured token so timing does not tell which matched.
        let mut matched = None;
        for (known, name) in &self.static_digests {
            let equal = bool::from(known.ct_eq(&presented));
            if equal && matched.is_none() {
                matched = Some(name);
            }
        }
        if let Some(name) = matched {
            return Ok(name.clone());
        }
        if let Some((key, validation)) = &self.jwt {
            return match jsonwebtoken::decode::<serde_json::Value>(token, key, validation) {
                Ok(data) => Ok(subject_name(
                    data.claims.get("sub").and_then(|s| s.as_str()),
                )),
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
    mut request: Request,
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
            Ok(client) => {
                request.extensions_mut().insert(client);
                next.run(request).await
            }
            Err(e) => e.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use jsonwebtoken::{EncodingKey, Header, encode};

    const SECRET: &str = "a-jwt-secret-of-thirty-two-bytes";

    fn hs_config() -> AuthConfig {
        AuthConfig {
            tokens: vec![Secret::new("static-one")],
            tokens_file: None,
            jwt: JwtConfig {
                algorithm: Some(JwtAlgorithm::HS256),
                secret: Some(Secret::new(SECRET)),
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
            auth.check(&token(good.clone(), Algorithm::HS256, SECRET))
                .is_ok()
        );
        // Wrong secret, wrong issuer, wrong audience, expired, not yet valid, no exp,
        // and an algorithm other than the pinned one are all refused.
        assert!(
            auth.check(&token(good.clone(), Algorithm::HS256, "other"))
                .is_err()
        );
        assert!(
            auth.check(&token(good.clone(), Algorithm::HS384, SECRET))
                .is_err()
        );
        let mut bad = good.clone();
        bad["iss"] = "https://evil".into();
        assert!(auth.check(&token(bad, Algorithm::HS256, SECRET)).is_err());
        let mut bad = good.clone();
        bad["aud"] = "other".into();
        assert!(auth.check(&token(bad, Algorithm::HS256, SECRET)).is_err());
        let mut bad = good.clone();
        bad["exp"] = (now() - 120).into();
        assert!(auth.check(&token(bad, Algorithm::HS256, SECRET)).is_err());
        let mut bad = good.clone();
        bad["nbf"] = (now() + 600).into();
        assert!(auth.check(&token(bad, Algorithm::HS256, SECRET)).is_err());
        let no_exp = serde_json::json!({"iss": "https://idp.example", "aud": "zoom-scim"});
        assert!(
            auth.check(&token(no_exp, Algorithm::HS256, SECRET))
                .is_err()
        );
    }

    /// RSA public keys made with `openssl genrsa` and `openssl rsa -pubout`.
    const RSA_1024: &str = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDle7cre9/gzN5/gALOUnB/bDBF\nfUzXEu7fTsI+MoVfm9GI8Nmy5B04mnRUTx9vkyRChjqlxsUXwocFVTrLJPOHcq7z\nb2Y7rRpXK7yMwlNRW8qkNxBk6n2TwuBUu1Y9EJjy2wAhjyHMxrdyZG2kfOwRMHNG\nwTuKmlnBXMo2IPBr2QIDAQAB\n-----END PUBLIC KEY-----\n";
    const RSA_1024_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----\nMIGJAoGBAOV7tyt73+DM3n+AAs5ScH9sMEV9TNcS7t9Owj4yhV+b0Yjw2bLkHTia\ndFRPH2+TJEKGOqXGxRfChwVVOssk84dyrvNvZjutGlcrvIzCU1FbyqQ3EGTqfZPC\n4FS7Vj0QmPLbACGPIczGt3JkbaR87BEwc0bBO4qaWcFcyjYg8GvZAgMBAAE=\n-----END RSA PUBLIC KEY-----\n";
    const RSA_2048: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1BdEhNF4YvJ9pnk3Mio2\ntANCae18dVapyQvcneP7rcJTWQTblfQ2vfNLCvBmtU8mQ4p1uKq21AIEGCUzqTLr\neUgVOVJIJc/8NNEBw7CmNRO77R/zSNRbiF/R/sCv0dUPc4VEjL/cHAYfI3dwHBWf\n/Bx7UPeQbYbOe2eEt5Imqrf8cUzz+Gy5j21EJiaRtxWzGciMxlbnmCgPjbjqdG3s\nCZbXjMEdVYePX5lubwCf5e+XEsvWn9+VPmevmWBdTnmy81ZIXmolCGD/40uHh6b+\nCTBL35U4SmDDuNul25H+f5CVpWBfBbNTwbyr6+gfenqUsMwABh+yy2ZlsbTT210v\nwQIDAQAB\n-----END PUBLIC KEY-----\n";

    fn refused(change: impl FnOnce(&mut JwtConfig)) -> Invalid {
        let mut config = hs_config();
        change(&mut config.jwt);
        Authenticator::new(&config).unwrap_err()
    }

    #[test]
    fn weak_keys_and_a_missing_audience_are_refused_at_start_up() {
        for secret in ["", "short", &SECRET[1..]] {
            let err = refused(|j| j.secret = Some(Secret::new(secret)));
            assert_eq!(err.key, "jwt.secret");
            assert!(err.message.contains("at least 32 bytes"), "{err}");
        }
        let err = refused(|j| j.secret = None);
        assert!(err.to_string().contains("is required for HS256"), "{err}");
        for pem in [RSA_1024, RSA_1024_PKCS1] {
            let err = refused(|j| {
                j.algorithm = Some(JwtAlgorithm::RS256);
                j.public_key_pem = Some(Secret::new(pem));
            });
            assert_eq!(err.key, "jwt.public_key_pem");
            assert!(err.message.contains("1024-bit RSA key"), "{err}");
        }
        let mut config = hs_config();
        config.jwt.algorithm = Some(JwtAlgorithm::RS256);
        config.jwt.public_key_pem = Some(Secret::new(RSA_2048));
        assert!(Authenticator::new(&config).is_ok());
        for audience in [None, Some(""), Some("  ")] {
            let err = refused(|j| j.audience = audience.map(str::to_owned));
            assert_eq!(err.key, "jwt.audience");
        }
    }

    #[test]
    fn the_audience_is_checked_unless_it_is_a_star() {
        let claims = |aud: &str| serde_json::json!({"exp": now() + 60, "iss": "https://idp.example", "aud": aud});
        let auth = Authenticator::new(&hs_config()).unwrap();
        let other = token(claims("another-app"), Algorithm::HS256, SECRET);
        let err = auth.check(&other).unwrap_err();
        assert!(err.detail.contains("wrong audience"), "{}", err.detail);
        let mut config = hs_config();
        config.jwt.audience = Some(ANY_AUDIENCE.into());
        let any = Authenticator::new(&config).unwrap();
        assert!(any.check(&other).is_ok());
    }

    #[test]
    fn clients_are_named_never_by_their_token() {
        let config = AuthConfig {
            tokens: vec![
                Secret::new("entra:s3cr3t-entra"),
                Secret::new("bare-token"),
                Secret::new("not a name:x1"),
            ],
            ..hs_config()
        };
        let auth = Authenticator::new(&config).unwrap();
        assert_eq!(auth.check("s3cr3t-entra").unwrap().0.as_ref(), "entra");
        assert!(
            auth.check("entra:s3cr3t-entra").is_err(),
            "the name is not part of the token"
        );
        let bare = auth.check("bare-token").unwrap();
        assert!(
            bare.0.starts_with("token-") && bare.0.len() == 14,
            "{bare:?}"
        );
        assert!(!bare.0.contains("bare"));
        // Not a name: the whole entry is the token.
        assert!(auth.check("not a name:x1").is_ok());
        let jwt = token(
            serde_json::json!({"exp": now() + 60, "iss": "https://idp.example", "aud": "zoom-scim", "sub": "okta-app\n1"}),
            Algorithm::HS256,
            SECRET,
        );
        assert_eq!(auth.check(&jwt).unwrap().0.as_ref(), "jwt:okta-app\\n1");
    }

    #[test]
    fn debug_does_not_show_tokens() {
        let auth = Authenticator::new(&hs_config()).unwrap();
        let dump = format!("{auth:?}");
        assert!(!dump.contains("static-one") && !dump.contains(SECRET));
    }
}
