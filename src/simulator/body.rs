//! Reading request bodies the way Zoom does: a JSON object or a code 300 error, and field
//! checks that collect every problem into one "Validation Failed." answer (contract section 1).

use serde_json::{Map, Value};

use super::error::{SimError, SimFieldError};

/// Parses a JSON object body; anything else is 400 code 300.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, SimError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(SimError::bad_json()),
    }
}

/// A JSON object being read, with the dotted prefix its field names get in errors.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

impl<'a> Obj<'a> {
    /// The top-level object (prefix `""`) or a nested one (prefix `"user_info."`).
    pub fn new(map: &'a Map<String, Value>, prefix: &'a str) -> Self {
        Self { map, prefix }
    }

    /// The raw value of `key`; JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present (and not null).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn field(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Collects field errors.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<SimFieldError>,
}

impl Validator {
    /// Records an error on `field` of `obj`.
    pub fn error(&mut self, obj: &Obj<'_>, key: &str, message: impl Into<String>) {
        self.errors
            .push(SimFieldError::new(obj.field(key), message));
    }

    /// An optional string of at most `max` characters.
    pub fn string(&mut self, obj: &Obj<'_>, key: &str, max: usize) -> Option<String> {
        self.string_between(obj, key, 0, max)
    }

    /// An optional string of `min..=max` characters.
    pub fn string_between(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => {
                let len = s.chars().count();
                if len > max {
                    self.error(
                        obj,
                        key,
                        format!("The length of this field must be at most {max} characters."),
                    );
                    None
                } else if len < min {
                    self.error(
                        obj,
                        key,
                        format!("The length of this field must be at least {min} characters."),
                    );
                    None
                } else {
                    Some(s.clone())
                }
            }
            _ => {
                self.error(obj, key, "Invalid field.");
                None
            }
        }
    }

    /// A required string of at most `max` characters.
    pub fn required_string(&mut self, obj: &Obj<'_>, key: &str, max: usize) -> Option<String> {
        if !obj.has(key) {
            self.error(obj, key, "This field is required.");
            return None;
        }
        self.string(obj, key, max)
    }

    /// An optional string from `allowed`.
    pub fn one_of(&mut self, obj: &Obj<'_>, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(obj, key, 256)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.error(obj, key, "Invalid field.");
            None
        }
    }

    /// An optional boolean.
    pub fn boolean(&mut self, obj: &Obj<'_>, key: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(obj, key, "Invalid field.");
                None
            }
        }
    }

    /// An optional non-negative integer.
    pub fn unsigned(&mut self, obj: &Obj<'_>, key: &str) -> Option<u64> {
        match obj.get(key)?.as_u64() {
            Some(n) => Some(n),
            None => {
                self.error(obj, key, "Invalid field.");
                None
            }
        }
    }

    /// An optional integer from `allowed`.
    pub fn int_of(&mut self, obj: &Obj<'_>, key: &str, allowed: &[u64]) -> Option<u64> {
        let n = self.unsigned(obj, key)?;
        if allowed.contains(&n) {
            Some(n)
        } else {
            self.error(obj, key, "Invalid field.");
            None
        }
    }

    /// An optional object.
    pub fn object<'a>(&mut self, obj: &Obj<'a>, key: &str) -> Option<&'a Map<String, Value>> {
        match obj.get(key)? {
            Value::Object(m) => Some(m),
            _ => {
                self.error(obj, key, "Invalid field.");
                None
            }
        }
    }

    /// An optional array of at most `max` items.
    pub fn array<'a>(&mut self, obj: &Obj<'a>, key: &str, max: usize) -> Option<&'a Vec<Value>> {
        match obj.get(key)? {
            Value::Array(items) if items.len() <= max => Some(items),
            Value::Array(_) => {
                self.error(obj, key, format!("At most {max} items are allowed."));
                None
            }
            _ => {
                self.error(obj, key, "Invalid field.");
                None
            }
        }
    }

    /// A required array of 1 to `max` items (empty when the field is missing or wrong,
    /// with the error recorded).
    pub fn required_array<'a>(&mut self, obj: &Obj<'a>, key: &str, max: usize) -> &'a [Value] {
        match self.array(obj, key, max) {
            None if !obj.has(key) => self.error(obj, key, "This field is required."),
            None => {}
            Some(items) if items.is_empty() => self.error(obj, key, "At least 1 item is required."),
            Some(items) => return items,
        }
        &[]
    }

    /// `Ok` or the collected "Validation Failed." error.
    pub fn finish(self) -> Result<(), SimError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(SimError::validation(self.errors))
        }
    }
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no
/// spaces, at most 128 characters (`user_info.email`, contract section 3.2).
pub fn is_valid_email(email: &str) -> bool {
    if email.chars().count() > 128 || email.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// The lower-cased domain of an e-mail.
pub fn email_domain(email: &str) -> String {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_only_objects() {
        assert!(parse_object(b"{\"a\":1}").is_ok());
        assert_eq!(parse_object(b"[1]").map_err(|e| e.code), Err(300));
        assert!(parse_object(b"").is_err());
        assert!(parse_object(b"{oops").is_err());
    }

    #[test]
    fn collects_field_errors_with_prefixes() {
        let body = json!({"first_name": "x".repeat(65), "type": "2", "ok": true, "none": null});
        let map = body.as_object().expect("object");
        let obj = Obj::new(map, "user_info.");
        let mut v = Validator::default();
        assert_eq!(v.string(&obj, "first_name", 64), None);
        assert_eq!(v.int_of(&obj, "type", &[1, 2]), None);
        assert_eq!(v.boolean(&obj, "ok"), Some(true));
        assert_eq!(v.string(&obj, "none", 10), None);
        assert_eq!(v.required_string(&obj, "email", 128), None);
        let e = v.finish().expect_err("invalid");
        let fields: Vec<_> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["user_info.first_name", "user_info.type", "user_info.email"]
        );
    }

    #[test]
    fn email_shapes() {
        assert!(is_valid_email("jane.doe@example.com"));
        assert!(!is_valid_email("jane.doe@localhost"));
        assert!(!is_valid_email("jane doe@example.com"));
        assert!(!is_valid_email("@example.com"));
        assert!(!is_valid_email("a@b@example.com"));
        assert_eq!(email_domain("A@Example.COM"), "example.com");
    }
}
