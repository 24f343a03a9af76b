//! Drift test for the configuration docs: the README's configuration table and
//! `docker/zoom-scim.example.toml` must name every key of [`Config::documented_keys`], no
//! other key, the right environment variable, and the code's default value.
//! And every relative link in the Markdown docs (README, changelog, benchmarks,
//! `docs/`) must name a file, and a heading, that exists; every section a code comment
//! cites ("contract section 3.10", "docs/clients.md section 1.2") must exist.

use std::collections::BTreeSet;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde_json::Value;
use zoom_scim::config::{Config, env_var_for};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/zoom-scim.example.toml");

/// One documented key: where it is documented, its env variable and default as written.
#[derive(Debug, Clone)]
struct DocEntry {
    key: String,
    env: String,
    default: String,
    line: usize,
    /// The example file's sample value for a key with no default (`# key = "..."  #
    /// required` or `# unset by default`): it must be valid TOML of the key's type.
    sample: Option<String>,
}

/// The code's default of a dotted key, as JSON (`null` for an unset `Option`).
fn code_default(defaults: &Value, key: &str) -> Value {
    let pointer = format!("/{}", key.replace('.', "/"));
    defaults.pointer(&pointer).cloned().unwrap_or(Value::Null)
}

/// Placeholders the docs use for "no default": unset (`-`, `- (off)`) or required.
fn is_placeholder(written: &str) -> bool {
    written == "-" || written.starts_with("- (") || written == "(required)"
}

/// Whether a placeholder fits the default: `-` for an unset option or empty string,
/// `(required)` for a credential that has no usable default.
fn placeholder_fits(written: &str, default: &Value) -> bool {
    let unset = default.is_null() || default == &Value::String(String::new());
    is_placeholder(written) && unset
}

/// The README table rows after `## Configuration`: `| \`key\` | \`ENV\` | \`default\` | ... |`.
fn readme_entries(readme: &str) -> Vec<DocEntry> {
    let mut in_section = false;
    let mut entries = Vec::new();
    for (index, line) in readme.lines().enumerate() {
        if line.starts_with("## ") {
            in_section = line.trim() == "## Configuration";
            continue;
        }
        if !in_section || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let unquote = |cell: &str| cell.trim_matches('`').to_owned();
        entries.push(DocEntry {
            key: unquote(cells[0]),
            env: cells.get(1).map(|c| unquote(c)).unwrap_or_default(),
            default: cells.get(2).map(|c| unquote(c)).unwrap_or_default(),
            line: index + 1,
            sample: None,
        });
    }
    entries
}

/// Compares a README default cell with the code's default.
fn readme_default_matches(written: &str, default: &Value) -> bool {
    if is_placeholder(written) {
        return placeholder_fits(written, default);
    }
    match default {
        // Strings are written bare (`127.0.0.1:8080`) or quoted; the empty string as `""`,
        // optionally followed by what it means.
        Value::String(s) if s.is_empty() => written.starts_with("\"\""),
        Value::String(s) => written == s || written == format!("\"{s}\""),
        _ => serde_json::from_str::<Value>(written).is_ok_and(|v| json_eq(&v, default)),
    }
}

/// JSON equality that treats `1` and `1.0` alike.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The example file's keys: a `[section]` header, then per key a description comment
/// ending in `(env VAR)` and a commented `# key = value` line.
fn example_entries(example: &str) -> Vec<DocEntry> {
    let mut section = String::new();
    let mut env = String::new();
    let mut entries = Vec::new();
    for (index, line) in example.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = header.to_owned();
            env.clear();
            continue;
        }
        let Some(comment) = line.strip_prefix('#').map(str::trim) else {
            continue;
        };
        if let Some(var) = comment
            .strip_suffix(')')
            .and_then(|c| c.rsplit_once("(env "))
            .map(|(_, var)| var)
        {
            env = var.to_owned();
            continue;
        }
        let Some((key, value)) = comment.split_once(" = ") else {
            continue;
        };
        if section.is_empty() || key.contains(' ') {
            continue;
        }
        // A key without a default shows a sample value and says so after it.
        let (default, sample) = match value.split_once("  # ") {
            Some((sample, note)) if note.starts_with("required") => {
                ("(required)".to_owned(), Some(sample.trim().to_owned()))
            }
            Some((sample, note)) if note.starts_with("unset by default") => {
                ("-".to_owned(), Some(sample.trim().to_owned()))
            }
            _ => (value.trim().to_owned(), None),
        };
        entries.push(DocEntry {
            key: format!("{section}.{key}"),
            env: std::mem::take(&mut env),
            default,
            line: index + 1,
            sample,
        });
    }
    entries
}

/// Parses an example value as TOML, in its section, and returns it as JSON.
fn example_value(entry: &DocEntry, value: &str) -> Result<Value, String> {
    let (section, leaf) = entry.key.rsplit_once('.').expect("dotted key");
    let doc = format!("[{section}]\n{leaf} = {value}\n");
    Figment::from(Toml::string(&doc))
        .extract_inner::<Value>(&entry.key)
        .map_err(|e| e.to_string())
}

/// Every problem with one documentation source, one line each.
fn drift(source: &str, entries: &[DocEntry], toml_values: bool) -> Vec<String> {
    let defaults = serde_json::to_value(Config::default()).expect("config serializes");
    let code: Vec<String> = Config::documented_keys();
    let code_set: BTreeSet<&str> = code.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in entries {
        let at = format!("{source}:{}", entry.line);
        if !seen.insert(entry.key.as_str()) {
            problems.push(format!("{at}: `{}` documented twice", entry.key));
        }
        if !code_set.contains(entry.key.as_str()) {
            problems.push(format!("{at}: `{}` is not a configuration key", entry.key));
            continue;
        }
        if entry.env != env_var_for(&entry.key) {
            problems.push(format!(
                "{at}: `{}` names env `{}`, the code reads `{}`",
                entry.key,
                entry.env,
                env_var_for(&entry.key)
            ));
        }
        let default = code_default(&defaults, &entry.key);
        if let Some(sample) = &entry.sample
            && let Err(e) = example_value(entry, sample)
        {
            problems.push(format!(
                "{at}: `{}` sample value is not TOML: {e}",
                entry.key
            ));
        }
        let matches = if toml_values && !is_placeholder(&entry.default) {
            match example_value(entry, &entry.default) {
                Ok(value) => json_eq(&value, &default),
                Err(e) => {
                    problems.push(format!("{at}: `{}` value is not TOML: {e}", entry.key));
                    continue;
                }
            }
        } else if toml_values {
            placeholder_fits(&entry.default, &default)
        } else {
            readme_default_matches(&entry.default, &default)
        };
        if !matches {
            problems.push(format!(
                "{at}: `{}` shows default `{}`, the code's default is {default}",
                entry.key, entry.default
            ));
        }
    }
    for key in &code {
        if !seen.contains(key.as_str()) {
            problems.push(format!("{source}: `{key}` is not documented"));
        }
    }
    problems
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

#[test]
fn readme_table_documents_every_key_with_its_default() {
    let entries = readme_entries(&read(README));
    assert!(
        !entries.is_empty(),
        "no configuration table found in README"
    );
    let problems = drift("README.md", &entries, false);
    assert!(
        problems.is_empty(),
        "README configuration table drifted:\n{}",
        problems.join("\n")
    );
}

#[test]
fn example_config_documents_every_key_with_its_default() {
    let entries = example_entries(&read(EXAMPLE));
    assert!(!entries.is_empty(), "no keys found in the example config");
    let problems = drift("docker/zoom-scim.example.toml", &entries, true);
    assert!(
        problems.is_empty(),
        "docker/zoom-scim.example.toml drifted:\n{}",
        problems.join("\n")
    );
}

#[test]
fn example_config_loads_as_it_is_and_uncommented() {
    // As shipped (every key commented out) it must load: the README points `serve
    // --config` at it.
    let config = Config::load(Some(Path::new(EXAMPLE)), Figment::new())
        .unwrap_or_else(|e| panic!("example config does not load: {e}"));
    assert_eq!(config, Config::default());

    // With every concrete default uncommented it must still load, to the defaults: the
    // sections are valid TOML (no table opened twice) and each key sits in its section.
    let uncomment = |with_samples: bool| -> String {
        read(EXAMPLE)
            .lines()
            .map(|line| match line.trim().strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(k, v)| {
                        !k.contains(' ') && (with_samples || !v.contains("  # "))
                    }) =>
                {
                    rest.to_owned()
                }
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let loaded: Config = Figment::from(Toml::string(&uncomment(false)))
        .extract()
        .unwrap_or_else(|e| panic!("uncommented example config does not load: {e}"));
    assert_eq!(loaded, Config::default());

    // Uncommenting the sample lines too (what a user edits) still gives valid TOML.
    let loaded: Config = Figment::from(Toml::string(&uncomment(true)))
        .extract()
        .unwrap_or_else(|e| panic!("example config with its samples does not load: {e}"));
    assert_eq!(loaded.zoom.account_id, "your-account-id");
    assert_eq!(
        loaded.auth.jwt.algorithm,
        Some(zoom_scim::http::JwtAlgorithm::HS256)
    );
}

#[test]
fn the_checks_catch_drift() {
    let readme = read(README);
    let entries = readme_entries(&readme);
    let problems_of = |mutate: &dyn Fn(&mut Vec<DocEntry>)| {
        let mut changed = entries.clone();
        mutate(&mut changed);
        drift("README.md", &changed, false)
    };
    // A missing key.
    let problems = problems_of(&|e| {
        e.retain(|x| x.key != "zoom.page_size");
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`zoom.page_size` is not documented"))
    );
    // A key that does not exist.
    let problems = problems_of(&|e| {
        let mut extra = e[0].clone();
        extra.key = "server.no_such_key".into();
        extra.env = env_var_for(&extra.key);
        e.push(extra);
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("not a configuration key"))
    );
    // A wrong default, a wrong env variable, a wrong placeholder.
    let problems = problems_of(&|e| {
        for x in e.iter_mut() {
            match x.key.as_str() {
                "scim.cursor_ttl_s" => x.default = "500".into(),
                "server.listen" => x.default = "0.0.0.0:8080".into(),
                "zoom.plan" => x.env = "ZOOM_SCIM_PLAN".into(),
                "scim.deep_get" => x.default = "-".into(),
                _ => {}
            }
        }
    });
    for needle in [
        "`scim.cursor_ttl_s` shows default `500`",
        "`server.listen` shows default `0.0.0.0:8080`",
        "`zoom.plan` names env `ZOOM_SCIM_PLAN`",
        "`scim.deep_get` shows default `-`",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle} not caught: {problems:?}"
        );
    }

    // The example-file parser catches a wrong TOML default and a wrong env variable.
    let example = read(EXAMPLE)
        .replace("# page_size = 300", "# page_size = 30")
        .replace(
            "(env ZOOM_SCIM_SCIM__DEFAULT_COUNT)",
            "(env ZOOM_SCIM_DEFAULT_COUNT)",
        );
    let problems = drift("example", &example_entries(&example), true);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`zoom.page_size` shows default `30`"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("names env `ZOOM_SCIM_DEFAULT_COUNT`"))
    );
}

// ----- Relative links in the Markdown docs ---------------------------------------------

/// The Markdown files whose relative links must resolve: the README, the changelog, the
/// benchmark report and every file in `docs/`.
fn markdown_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = ["README.md", "CHANGELOG.md", "benches/BENCHMARKS.md"]
        .iter()
        .map(|name| root.join(name))
        .collect();
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/ exists");
    let mut in_docs: Vec<_> = docs
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    files.extend(in_docs);
    files
}

/// GitHub's anchor of a heading: lower case, only letters, digits, `-`, `_` and spaces
/// kept, spaces made `-`.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside fenced code).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.insert(anchor_of(line.trim_start_matches('#')));
        }
    }
    found
}

/// The link targets of a Markdown text, with their line numbers: every `](target)`
/// outside fenced code and inline code spans.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut targets = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans out: their brackets are not links.
        let mut prose = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                prose.push_str(part);
            }
        }
        let mut rest = prose.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push((index + 1, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
    targets
}

/// Every relative link of `text` (the file at `path`) that names a missing file or a
/// missing heading of a Markdown file, one line each.
fn broken_links(path: &Path, text: &str) -> Vec<String> {
    let dir = path.parent().expect("a file has a directory");
    let mut problems = Vec::new();
    for (line, target) in link_targets(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = match target.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (target.as_str(), None),
        };
        let at = format!("{}:{line}", path.display());
        let resolved = if file.is_empty() {
            path.to_path_buf()
        } else {
            dir.join(file)
        };
        if !file.is_empty() && !resolved.exists() {
            problems.push(format!("{at}: `{target}` names a file that does not exist"));
            continue;
        }
        if let Some(anchor) = anchor
            && resolved.extension().is_some_and(|e| e == "md")
        {
            let headings = if file.is_empty() {
                anchors(text)
            } else {
                anchors(&std::fs::read_to_string(&resolved).expect("read the linked file"))
            };
            if !headings.contains(anchor) {
                problems.push(format!(
                    "{at}: `{target}` names a heading that does not exist"
                ));
            }
        }
    }
    problems
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let files = markdown_files();
    assert!(
        files.len() >= 8,
        "expected README, CHANGELOG, BENCHMARKS and the docs/ files: {files:?}"
    );
    let mut links = 0;
    let mut problems = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        links += link_targets(&text).len();
        problems.extend(broken_links(path, &text));
    }
    assert!(links > 50, "only {links} links found: the parser is broken");
    assert!(
        problems.is_empty(),
        "broken links in the docs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_link_check_catches_broken_links() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/example.md");
    let text = "# Title\n\n## A section (`PATCH /Users`)\n\n\
        [ok](architecture.md) [ok anchor](#a-section-patch-users) [ok file anchor](../README.md#configuration)\n\
        [web](https://example.com/missing.md) `[code](missing-in-code.md)`\n\
        ```\n[fenced](missing-in-fence.md)\n```\n\
        [gone](no-such-file.md) [bad anchor](behaviour.md#no-such-heading) [bad local](#nowhere)\n";
    let problems = broken_links(&path, text);
    let named = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(named("`no-such-file.md` names a file"), "{problems:?}");
    assert!(
        named("`behaviour.md#no-such-heading` names a heading"),
        "{problems:?}"
    );
    assert!(named("`#nowhere` names a heading"), "{problems:?}");
    assert_eq!(
        problems.len(),
        3,
        "only the three broken links: {problems:?}"
    );
}

// ----- Section citations in code comments ----------------------------------------------

/// The section numbers of a Markdown file's headings (`## 3.` / `### 3.10 ...` -> `3`,
/// `3.10`).
fn section_numbers(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| line.starts_with('#'))
        .filter_map(|line| {
            let title = line.trim_start_matches('#').trim();
            let number = title.split(' ').next()?.trim_end_matches('.');
            let numeric =
                !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.');
            numeric.then(|| number.to_owned())
        })
        .collect()
}

/// The section numbers cited after `marker` (e.g. `contract `, optionally followed by
/// `section ` or `sections `) in the comment lines of `source`, with their line numbers.
fn cited_sections(source: &str, marker: &str) -> Vec<(usize, String)> {
    let mut cited = Vec::new();
    for (index, line) in source.lines().enumerate() {
        if !line.trim_start().starts_with("//") {
            continue;
        }
        let lower = line.to_lowercase();
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let after = rest
                .strip_prefix("sections ")
                .or_else(|| rest.strip_prefix("section "))
                .unwrap_or(rest);
            let number: String = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            if !number.is_empty() {
                cited.push((index + 1, number.to_owned()));
            }
        }
    }
    cited
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The citation markers of the docs code comments cite, and the file each names.
const CITED_DOCS: [(&str, &str); 4] = [
    ("contract ", "docs/zoom-contract.md"),
    ("docs/zoom-contract.md ", "docs/zoom-contract.md"),
    ("docs/clients.md ", "docs/clients.md"),
    ("docs/java-connector.md ", "docs/java-connector.md"),
];

#[test]
fn section_citations_in_comments_name_existing_sections() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut citations = 0;
    let mut problems = Vec::new();
    for (marker, doc) in CITED_DOCS {
        let sections = section_numbers(&read(&root.join(doc).to_string_lossy()));
        assert!(sections.len() > 5, "{doc} has numbered sections");
        for file in &files {
            let source = read(&file.to_string_lossy());
            for (line, number) in cited_sections(&source, marker) {
                citations += 1;
                if !sections.contains(&number) {
                    problems.push(format!(
                        "{}:{line}: cites {doc} section {number}, which does not exist",
                        file.strip_prefix(root).unwrap_or(file).display()
                    ));
                }
            }
        }
    }
    assert!(
        citations > 100,
        "only {citations} citations found: the scan is broken"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_citation_scan_reads_every_form() {
    // Built from pieces so that no line of this file is itself a citing comment.
    let source = [
        "// contract section 3.10, Contract 7.2: and contract sections 3.1-3.4.",
        "let contract_9 = 5; // not a comment line: contract 9 is not read",
        "    /// docs/clients.md section 1.3; docs/java-connector.md 5.3.",
        "    /// docs/zoom-contract.md section 12",
    ]
    .join("\n");
    let source = source.as_str();
    let numbers = |marker| -> Vec<String> {
        cited_sections(source, marker)
            .into_iter()
            .map(|(_, n)| n)
            .collect()
    };
    assert_eq!(numbers("contract "), ["3.10", "7.2", "3.1"]);
    assert_eq!(numbers("docs/clients.md "), ["1.3"]);
    assert_eq!(numbers("docs/java-connector.md "), ["5.3"]);
    assert_eq!(numbers("docs/zoom-contract.md "), ["12"]);
    let sections = section_numbers(&read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/zoom-contract.md"
    )));
    assert!(sections.contains("3.10") && sections.contains("7.2"));
    assert!(!sections.contains("12"), "a missing section is reported");
}
