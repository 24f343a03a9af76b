//! The filter lexer: parentheses, brackets, JSON string literals and words, and how
//! an unquoted word reads as a value.

use std::fmt;

use serde_json::{Number, Value};

use super::ast::CompValue;
use crate::scim::error::{ScimError, clip};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

/// As quoted in error details: long literals and words clipped.
impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::LParen => f.write_str("("),
            Tok::RParen => f.write_str(")"),
            Tok::LBracket => f.write_str("["),
            Tok::RBracket => f.write_str("]"),
            Tok::Str(s) => f.write_str(&clip(&Value::from(s.as_str()).to_string())),
            Tok::Word(w) => f.write_str(&clip(w)),
        }
    }
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Tok>, ScimError> {
    let bytes = input.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            b'[' => {
                toks.push(Tok::LBracket);
                i += 1;
            }
            b']' => {
                toks.push(Tok::RBracket);
                i += 1;
            }
            b'"' => {
                // Find the closing quote, skipping escaped characters, then let serde_json
                // decode the JSON string escapes (\", \\, \uXXXX, ...).
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(ScimError::invalid_filter(format!(
                                "unterminated string starting at offset {start}"
                            )));
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let raw = &input[start..=i];
                let decoded: String = serde_json::from_str(raw).map_err(|e| {
                    ScimError::invalid_filter(format!("invalid string literal {}: {e}", clip(raw)))
                })?;
                toks.push(Tok::Str(decoded));
                i += 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'[' | b']' | b'"'
                    )
                {
                    i += 1;
                }
                toks.push(Tok::Word(input[start..i].to_string()));
            }
        }
    }
    Ok(toks)
}

/// `true`, `false`, `null`, a JSON number, or (tolerated, as Entra's documentation
/// example `externalId eq jyoung` does) an unquoted word taken as a string.
pub(super) fn parse_bare_value(word: &str) -> CompValue {
    match word.to_ascii_lowercase().as_str() {
        "true" => return CompValue::Bool(true),
        "false" => return CompValue::Bool(false),
        "null" => return CompValue::Null,
        _ => {}
    }
    match serde_json::from_str::<Number>(word) {
        Ok(n) => CompValue::Number(n),
        Err(_) => CompValue::String(word.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::{CompareOp, Filter};
    use super::super::test_support::{cmp, parse, s};
    use super::*;

    #[test]
    fn values_parse_as_json_literals_or_bare_words() {
        let cases: &[(&str, CompValue)] = &[
            ("active eq true", CompValue::Bool(true)),
            ("active eq False", CompValue::Bool(false)),
            ("title eq null", CompValue::Null),
            ("pmi eq 42", CompValue::Number(42.into())),
            (
                "pmi gt -1.5e3",
                CompValue::Number(Number::from_f64(-1500.0).unwrap_or(0.into())),
            ),
            (
                r#"title eq "a \"quoted\" \\ \u00e9 (x) [y]""#,
                s("a \"quoted\" \\ é (x) [y]"),
            ),
            ("externalId eq jyoung", s("jyoung")),
            ("externalId eq 00u1abc", s("00u1abc")),
            ("userName eq \"\"", s("")),
        ];
        for (input, value) in cases {
            match parse(input) {
                Filter::Compare { value: got, .. } => assert_eq!(&got, value, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn numbers_are_read_as_the_nearest_double_and_print_back() {
        // Found by fuzzing (fuzz/corpus/filter/ keeps the input): without serde_json's
        // `float_roundtrip` the binary read `-1.2e31` one unit off the nearest double,
        // so the filter printed as another one. (Test builds get the feature from a
        // dev-dependency; the fuzz build has the binary's features.)
        let f = parse("pmi gt -1.2e31");
        assert_eq!(
            f,
            cmp(
                "pmi",
                CompareOp::Gt,
                CompValue::Number(Number::from_f64(-1.2e31).unwrap_or(0.into()))
            )
        );
        assert_eq!(f.to_string(), "pmi gt -1.2e+31");
        assert_eq!(parse("pmi gt -1.2e+31"), f);
        assert_eq!(parse("pmi eq 12").to_string(), "pmi eq 12");
    }
}
