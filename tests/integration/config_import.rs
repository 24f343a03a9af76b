//! `zoom-scim config import`, run as a user runs it: the Java connector's property file
//! in, zoom-scim's TOML out (a file `serve` then reads), what was left out on stderr.

use std::process::Command;

use zoom_scim::config::Config;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zoom-scim"))
        .args(args)
        .env_remove("ZOOM_SCIM_CONFIG")
        .output()
        .expect("run zoom-scim")
}

#[test]
fn a_connectors_property_file_becomes_a_configuration_serve_reads() {
    let dir = tempfile::tempdir().unwrap();
    let properties = dir.path().join("zoom.properties");
    std::fs::write(
        &properties,
        "service.serviceUrl=https://api.zoom.us/v2\n\
         custom.accountId=acc-1\n\
         security.authenticator.oauth2ClientCredentials.clientId=cid\n\
         security.authenticator.oauth2ClientCredentials.clientSecret=very-secret\n\
         custom.deactivateOnDelete=false\n\
         custom.disassociateOnDelete=true\n\
         custom.somethingNew=1\n",
    )
    .unwrap();
    let secret_file = dir.path().join("secret");
    let out = run(&[
        "config",
        "import",
        properties.to_str().unwrap(),
        "--secret-file",
        secret_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!toml.contains("very-secret") && !stderr.contains("very-secret"));
    assert!(stderr.contains("not imported (no zoom-scim counterpart): custom.somethingNew"));
    assert!(stderr.contains(&format!("put it in {}", secret_file.display())));

    // The administrator writes the secret where the TOML points, and the service's own
    // loader reads the result.
    std::fs::write(&secret_file, "very-secret\n").unwrap();
    let config_file = dir.path().join("zoom-scim.toml");
    std::fs::write(&config_file, &toml).unwrap();
    let config = Config::load_from_env(
        Some(&config_file),
        figment::Figment::new(),
        figment::providers::Env::prefixed("ZOOM_SCIM_TEST_UNSET_"),
    )
    .expect("the imported file loads");
    assert_eq!(config.zoom.account_id, "acc-1");
    assert_eq!(config.zoom.client_id, "cid");
    assert_eq!(
        config.zoom.client_secret.as_ref().map(|s| s.expose()),
        Some("very-secret")
    );
    assert_eq!(
        config.scim.delete_policy,
        zoom_scim::provider::DeletePolicy::Disassociate
    );

    let missing = run(&["config", "import", "/nonexistent/zoom.properties"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("cannot read /nonexistent/zoom.properties")
    );
}
