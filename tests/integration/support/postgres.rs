//! A throwaway PostgreSQL server for the store tests, so that every store test runs on
//! both backends and none skips PostgreSQL.
//!
//! `TEST_POSTGRES_URL` names a server the tests may create databases on
//! (`postgres://USER@HOST:PORT/postgres`). Without it, the first test that needs one
//! starts a cluster of its own: `initdb` into `target/tmp/pg-<pid>` (as the `postgres`
//! user when the tests run as root, which PostgreSQL refuses to run as), listening on a
//! free loopback port; a watchdog stops it and removes the directory when the test
//! process exits. The binaries come from `TEST_PG_BIN`, else the newest
//! `/usr/lib/postgresql/*/bin`, else `PATH`. When none can be started the test fails
//! and says why.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use zoom_scim::store::StoreUrl;

/// The variable naming an existing server.
pub const URL_VAR: &str = "TEST_POSTGRES_URL";

/// The server's administrative address (its `postgres` database).
fn server() -> &'static str {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    match SERVER.get_or_init(|| match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start_cluster(),
    }) {
        Ok(url) => url,
        Err(why) => panic!(
            "the store tests need PostgreSQL and none could be started ({why}); install \
             PostgreSQL or set {URL_VAR} to a server the tests may create databases on"
        ),
    }
}

/// A new, empty database on the test server, as a store address.
pub async fn fresh_database() -> StoreUrl {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let admin = server().to_owned();
    let name = format!(
        "zoom_scim_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    StoreUrl::new(format!("{base}/{name}"))
}

/// Makes the test server accept connections to `database` again, or refuse them and
/// end the ones open (the store "goes away" for whoever uses that database).
pub async fn set_accepting(database: &str, accepting: bool) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server())
        .await
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
    sqlx::query(&format!(
        "ALTER DATABASE {database} WITH ALLOW_CONNECTIONS {accepting}"
    ))
    .execute(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("alter database {database}: {e}"));
    if !accepting {
        sqlx::query(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("end the connections to {database}: {e}"));
    }
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the cluster's owner: `postgres` when we are root.
fn as_owner(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start_cluster() -> Result<String, String> {
    let bin = bin_dir().unwrap_or_default();
    let initdb = bin.join("initdb");
    let pg_ctl = bin.join("pg_ctl");
    let root = is_root();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    if root {
        let mut chown = Command::new("chown");
        chown.arg("postgres:").arg(&dir);
        run(chown, "chown the cluster directory to postgres")?;
    }
    let data = dir.join("data");
    let mut init = as_owner(&initdb, root);
    init.arg("-D")
        .arg(&data)
        .args(["-U", "zoom_scim", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    run(init, "initdb")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("find a free port: {e}"))?
        .port();
    let mut start = as_owner(&pg_ctl, root);
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c max_connections=300",
            dir.display()
        ))
        .args(["-w", "start"]);
    run(start, "pg_ctl start")?;
    // The watchdog outlives this process, stops the server and removes its files.
    let stop = if root {
        format!("runuser -u postgres -- '{}'", pg_ctl.display())
    } else {
        format!("'{}'", pg_ctl.display())
    };
    let script = format!(
        "while [ -d /proc/{pid} ]; do sleep 1; done; {stop} -D '{data}' -m immediate stop \
         >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start the cluster's watchdog: {e}"))?;
    Ok(format!("postgres://zoom_scim@127.0.0.1:{port}/postgres"))
}
