//! Shared harness for the integration tests of the `ferrochat` binary.
//!
//! Every test talks to the real binary over HTTP. A test file uses it with
//!
//! ```ignore
//! mod common;
//! use common::*;
//!
//! both_stores!(creates_channel, |server| async move {
//!     let admin = server.admin().await;
//!     let (status, body, _) = admin.post("/api/v1/channels.create", json!({"name": "x"})).await;
//!     assert_eq!(status, 200, "{body}");
//! });
//! ```
//!
//! which generates the tests `creates_channel::sqlite` and `creates_channel::postgres`
//! (`cargo test creates_channel`, `cargo test ::postgres`, `cargo test ::sqlite` select them).
//!
//! Environment:
//! - `FERROCHAT_TEST_PG`: admin URL of the PostgreSQL server in which each test creates (and
//!   afterwards drops) its own database; default `postgres://postgres@127.0.0.1:5432/postgres`.
//! - `FERROCHAT_SKIP_POSTGRES=1`: skip the PostgreSQL variants explicitly (they fail otherwise
//!   when PostgreSQL is unreachable).
//! - `FERROCHAT_TEST_LOG`: `RUST_LOG` for the spawned servers (default `warn`).
//! - `FERROCHAT_KEEP_TEST_DIRS=1`: keep each test's data directory (with `server.log`) and database.
#![allow(dead_code)]
pub mod ddp;
pub mod node;
pub mod redis_server;

use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use serde_json::{Value, json};

/// The test admin that `TEST_MODE=true` creates: its `_id`, username and password.
pub const TEST_ADMIN: &str = "rocketchat.internal.admin.test";

const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const LOG_TAIL_LINES: usize = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Runs one test body against a freshly started server on `backend`.
/// Used by [`both_stores!`]; the server is dropped (killed, cleaned up) afterwards.
pub async fn run_test<F, Fut>(backend: Backend, envs: &[(&str, &str)], body: F)
where
    F: FnOnce(Server) -> Fut,
    Fut: Future<Output = ()>,
{
    if backend == Backend::Postgres && postgres_skipped() {
        eprintln!("FERROCHAT_SKIP_POSTGRES=1: skipping the PostgreSQL variant of this test");
        return;
    }
    let server = Server::start_with(backend, envs).await;
    body(server).await;
}

/// True when the PostgreSQL variants were switched off explicitly.
pub fn postgres_skipped() -> bool {
    matches!(
        std::env::var("FERROCHAT_SKIP_POSTGRES").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Defines `mod $name { sqlite(), postgres() }`: the same async test body run against both stores.
///
/// ```ignore
/// both_stores!(creates_channel, |server| async move { ... });
/// both_stores!(with_setting, envs = [("ROOT_URL", "http://example.test")], |server| async move { ... });
/// both_stores!(survives_restart, |mut server| async move { server.restart().await; });
/// ```
/// The body receives an owned [`Server`]. Items of the enclosing file and of this harness are in
/// scope (`use super::*; use crate::common::*;`).
#[macro_export]
macro_rules! both_stores {
    ($name:ident, envs = [$(($k:expr, $v:expr)),* $(,)?], $body:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::common::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run_test(
                    $crate::common::Backend::Sqlite,
                    &[$(($k, $v)),*],
                    $body,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::run_test(
                    $crate::common::Backend::Postgres,
                    &[$(($k, $v)),*],
                    $body,
                )
                .await;
            }
        }
    };
    ($name:ident, $body:expr $(,)?) => {
        $crate::both_stores!($name, envs = [], $body);
    };
}

/// A running `ferrochat serve` with its own data directory and database.
pub struct Server {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    pub backend: Backend,
    /// The `DATABASE_URL` given to the server.
    pub database_url: String,
    /// The temporary directory: `DATA_DIR` is `dir/data`, the log is `dir/server.log`.
    pub dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_path: PathBuf,
    port: u16,
    child: Option<Child>,
    pg: Option<PgDatabase>,
    envs: Vec<(String, String)>,
    /// Set once a panic message already carried the log tail.
    log_reported: bool,
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Server {
    /// Starts a server in `TEST_MODE` on a fresh store.
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// Like [`Server::start`] with extra environment variables (they override the harness's).
    pub async fn start_with(backend: Backend, envs: &[(&str, &str)]) -> Server {
        let dir = std::env::temp_dir().join(format!("ferrochat-test-{}", random_hex(8)));
        let db_path = dir.join("ferrochat.db");
        let (database_url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", db_path.display()), None),
            Backend::Postgres => {
                let db = create_pg_database().await;
                (pg_url_with_db(&db.admin_url, &db.name), Some(db))
            }
        };

        let data_dir = dir.join("data");
        fs::create_dir_all(&data_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", data_dir.display()));
        let log_path = dir.join("server.log");

        let mut server = Server {
            url: String::new(),
            backend,
            database_url,
            dir,
            data_dir,
            log_path,
            port: 0,
            child: None,
            pg,
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            log_reported: false,
        };
        server.launch(None).await;
        server
    }

    /// Starts another node of the same cluster: a second `ferrochat serve` on the same database
    /// (and `DATA_DIR`, the shared file store) as `first`, with its own port, directory and log.
    /// It inherits `first`'s extra environment (e.g. `REDIS_URL`); `envs` override it. `first`
    /// owns the database and drops it when it is dropped, so drop the other nodes first (declare
    /// them after it). Cluster mode needs PostgreSQL; SQLite works only as a shared file.
    pub async fn start_sharing(first: &Server, envs: &[(&str, &str)]) -> Server {
        let dir = std::env::temp_dir().join(format!("ferrochat-test-{}", random_hex(8)));
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let log_path = dir.join("server.log");
        let mut merged = first.envs.clone();
        for (k, v) in envs {
            merged.retain(|(key, _)| key != k);
            merged.push((k.to_string(), v.to_string()));
        }
        let mut server = Server {
            url: String::new(),
            backend: first.backend,
            database_url: first.database_url.clone(),
            dir,
            data_dir: first.data_dir.clone(),
            log_path,
            port: 0,
            child: None,
            pg: None,
            envs: merged,
            log_reported: false,
        };
        server.launch(None).await;
        server
    }

    /// Kills the server (SIGKILL, as in a crash) and starts it again on the same data directory
    /// and database. It keeps its port (and so `url`) unless that port was taken meanwhile;
    /// clients made before keep working while the port stays the same.
    pub async fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.launch(Some(port)).await;
    }

    /// Kills the server process, if running (SIGKILL, then waits for it).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The last lines of the server's log (stdout and stderr of every start).
    pub fn log_tail(&self) -> String {
        tail_of_file(&self.log_path, LOG_TAIL_LINES)
    }

    /// A client without credentials.
    pub fn anon(&self) -> Client {
        Client::new(&self.url)
    }

    /// A client logged in as the `TEST_MODE` admin.
    pub async fn admin(&self) -> Client {
        self.login(TEST_ADMIN, TEST_ADMIN).await
    }

    /// A client logged in with the given credentials (panics with the body on failure).
    pub async fn login(&self, user: &str, password: &str) -> Client {
        Client::login(&self.url, user, password).await
    }

    /// Creates a user through `users.create` as `admin` (email `<username>@example.com`,
    /// password `pass-<username>`) and returns a client logged in as that user.
    pub async fn create_user(&self, admin: &Client, username: &str) -> Client {
        let (status, body, _) = admin
            .post(
                "/api/v1/users.create",
                json!({
                    "email": format!("{username}@example.com"),
                    "name": format!("User {username}"),
                    "password": format!("pass-{username}"),
                    "username": username,
                    "verified": true,
                }),
            )
            .await;
        assert!(
            status == 200 && body["success"] == json!(true),
            "users.create {username} failed: HTTP {status}: {body}"
        );
        self.login(username, &format!("pass-{username}")).await
    }

    /// Spawns the binary (on `port`, or a free one) and waits for `/livez`; retries on another
    /// port when the port was taken between the probe and the server's bind.
    async fn launch(&mut self, port: Option<u16>) {
        let mut preferred = port;
        let mut last_failure = String::new();
        for _attempt in 0..3 {
            let port = preferred.take().unwrap_or_else(free_port);
            match self.spawn_and_wait(port).await {
                Ok(()) => return,
                Err(failure) => last_failure = failure,
            }
        }
        let tail = self.log_tail();
        self.log_reported = true;
        panic!(
            "ferrochat ({} store) did not start: {last_failure}\n--- last lines of {} ---\n{tail}",
            self.backend.name(),
            self.log_path.display()
        );
    }

    /// `Err` only when the port was taken; any other failure panics with the log's tail.
    async fn spawn_and_wait(&mut self, port: u16) -> Result<(), String> {
        let url = format!("http://127.0.0.1:{port}");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.log_path.display()));
        let log_err = log.try_clone().expect("clone log file handle");
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);

        let rust_log = std::env::var("FERROCHAT_TEST_LOG").unwrap_or_else(|_| "warn".into());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrochat"));
        cmd.arg("serve")
            .current_dir(&self.dir)
            .env_remove("ADMIN_USERNAME")
            .env_remove("ADMIN_PASS")
            .env_remove("ADMIN_EMAIL")
            .env("TEST_MODE", "true")
            .env("DATABASE_URL", &self.database_url)
            .env("DATA_DIR", &self.data_dir)
            .env("PORT", port.to_string())
            .env("BIND_IP", "127.0.0.1")
            .env("ROOT_URL", &url)
            .env("RUST_LOG", rust_log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", env!("CARGO_BIN_EXE_ferrochat")));
        self.child = Some(child);
        self.port = port;
        self.url = url.clone();

        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("reqwest client");
        let livez = format!("{url}/livez");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                let new_output = read_from(&self.log_path, log_start);
                let port_taken = new_output.contains("in use") || new_output.contains("AddrInUse");
                if port_taken {
                    // Someone took the port between our probe and the server's bind: retry.
                    return Err(format!("port {port} was taken ({status})"));
                }
                let tail = self.log_tail();
                self.log_reported = true;
                panic!(
                    "ferrochat ({} store) exited during startup with {status}\n--- last lines of {} ---\n{tail}",
                    self.backend.name(),
                    self.log_path.display()
                );
            }
            let up = match http.get(&livez).send().await {
                Ok(resp) => resp.status().as_u16() == 200,
                Err(_) => false,
            };
            // Make sure it is our process that answered, not another test's server.
            if up
                && self
                    .child
                    .as_mut()
                    .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                let tail = self.log_tail();
                self.log_reported = true;
                panic!(
                    "ferrochat ({} store) did not start: GET {livez} did not answer 200 within {} s\n--- last lines of {} ---\n{tail}",
                    self.backend.name(),
                    STARTUP_TIMEOUT.as_secs(),
                    self.log_path.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let keep = matches!(
            std::env::var("FERROCHAT_KEEP_TEST_DIRS").as_deref(),
            Ok("1") | Ok("true")
        );
        if std::thread::panicking() && !self.log_reported {
            eprintln!(
                "--- ferrochat ({} store) log, last lines of {} ---\n{}",
                self.backend.name(),
                self.log_path.display(),
                self.log_tail()
            );
        }
        if keep {
            eprintln!(
                "FERROCHAT_KEEP_TEST_DIRS: kept {} (DATABASE_URL={})",
                self.dir.display(),
                self.database_url
            );
            return;
        }
        if let Some(db) = self.pg.take() {
            drop_pg_database(db);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP client

/// A small REST client. Every call returns `(status, body, content type)`; a body that is not
/// JSON comes back as `Value::String` (or `Value::Null` when empty).
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    pub user_id: Option<String>,
    pub token: Option<String>,
}

pub type Response = (u16, Value, String);

impl Client {
    /// An anonymous client for the server at `base` (e.g. `http://127.0.0.1:3000`).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("reqwest client"),
            user_id: None,
            token: None,
        }
    }

    /// A copy of this client that sends the given credentials.
    pub fn with_auth(&self, user_id: &str, token: &str) -> Client {
        Client {
            user_id: Some(user_id.to_string()),
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// Logs in through `POST /api/v1/login` with `{"user", "password"}`; panics with the body on failure.
    pub async fn login(base: &str, user: &str, password: &str) -> Client {
        let anon = Client::new(base);
        let (status, body, _) = anon
            .post("/api/v1/login", json!({"user": user, "password": password}))
            .await;
        let data = &body["data"];
        match (status, data["userId"].as_str(), data["authToken"].as_str()) {
            (200, Some(user_id), Some(token)) if body["status"] == json!("success") => {
                anon.with_auth(user_id, token)
            }
            _ => panic!("login as {user} failed: HTTP {status}: {body}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/{}", self.base, path)
        }
    }

    /// A request builder with the auth headers set, for anything the helpers below don't cover.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if let (Some(user_id), Some(token)) = (&self.user_id, &self.token) {
            req = req
                .header("X-User-Id", user_id)
                .header("X-Auth-Token", token);
        }
        req
    }

    /// Sends a request built with [`Client::request`] and decodes the answer.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Response {
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("HTTP request failed: {e}"));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("reading HTTP body failed: {e}"));
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, body, content_type)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.send(self.request(reqwest::Method::GET, path).query(query))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.send(self.request(reqwest::Method::PUT, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// GET that must answer 200 with `"success": true`; returns the body.
    pub async fn get_ok(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self.get_query(path, query).await;
        expect_success(&format!("GET {path}"), resp)
    }

    /// POST that must answer 200 with `"success": true`; returns the body.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let resp = self.post(path, body).await;
        expect_success(&format!("POST {path}"), resp)
    }
}

/// Panics with the body unless the response is 200 with `"success": true`; returns the body.
pub fn expect_success(what: &str, (status, body, _): Response) -> Value {
    assert!(
        status == 200 && body["success"] == json!(true),
        "{what}: expected 200 with success:true, got HTTP {status}: {body}"
    );
    body
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL databases

fn pg_admin_url() -> String {
    std::env::var("FERROCHAT_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_PG_ADMIN_URL.to_string())
}

async fn create_pg_database() -> PgDatabase {
    use sqlx::{Connection, Executor};

    let admin_url = pg_admin_url();
    let name = format!("ferrochat_t_{}", random_hex(8));
    let connect = tokio::time::timeout(
        Duration::from_secs(10),
        sqlx::postgres::PgConnection::connect(&admin_url),
    )
    .await;
    let mut conn = match connect {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => pg_unreachable(&admin_url, &e.to_string()),
        Err(_) => pg_unreachable(&admin_url, "connection timed out after 10 s"),
    };
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} through {admin_url} failed: {e}"));
    let _ = conn.close().await;
    PgDatabase { admin_url, name }
}

fn pg_unreachable(url: &str, err: &str) -> ! {
    panic!(
        "PostgreSQL is not reachable at {url}: {err}\n\
         The PostgreSQL variants of the tests need it. Run `scripts/test` (it installs and starts \
         PostgreSQL and Redis when missing), or point FERROCHAT_TEST_PG at a reachable admin URL, \
         or set FERROCHAT_SKIP_POSTGRES=1 to skip these variants explicitly."
    )
}

/// Drops the database from a thread of its own, so that this works from `Drop` inside a
/// tokio runtime. Best effort: errors are reported and ignored.
fn drop_pg_database(db: PgDatabase) {
    let handle = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(_) => return,
        };
        rt.block_on(async {
            use sqlx::{Connection, Executor};
            let work = async {
                let mut conn = sqlx::postgres::PgConnection::connect(&db.admin_url).await?;
                conn.execute(
                    format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.name).as_str(),
                )
                .await?;
                conn.close().await
            };
            match tokio::time::timeout(Duration::from_secs(20), work).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e}", db.name),
                Err(_) => eprintln!("warning: dropping test database {} timed out", db.name),
            }
        });
    });
    let _ = handle.join();
}

/// `postgres://user@host:port/postgres?x=y` with the database replaced by `db`.
pub fn pg_url_with_db(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_and_path = &base[scheme_end..];
    let authority = match authority_and_path.find('/') {
        Some(i) => &authority_and_path[..i],
        None => authority_and_path,
    };
    let mut url = format!("{}{}/{}", &base[..scheme_end], authority, db);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// A short random lowercase name with the given prefix, handy for unique usernames and rooms.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", random_hex(4))
}

/// A port that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut out = String::new();
    if let Ok(mut f) = File::open(path)
        && f.seek(SeekFrom::Start(offset)).is_ok()
    {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        out = String::from_utf8_lossy(&bytes).into_owned();
    }
    out
}

fn tail_of_file(path: &Path, lines: usize) -> String {
    let text = read_from(path, 0);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    if all.is_empty() {
        return "(log is empty)".to_string();
    }
    all[start..].join("\n")
}

/// Rocket.Chat's 403 body text when a permission is missing.
pub const FORBIDDEN: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

/// A second handle on the server's database, to check what the API cannot show.
pub async fn open_store(server: &Server) -> ferrochat_store::Store {
    ferrochat_store::Store::connect(&ferrochat_store::StoreOptions {
        url: server.database_url.clone(),
        max_connections: 1,
    })
    .await
    .expect("open the server's store")
}

/// Asserts a failure: HTTP status, the exact `error` and the `errorType` (`None`: absent).
pub fn assert_failure(
    (status, body, _): Response,
    want_status: u16,
    error: &str,
    error_type: Option<&str>,
) {
    assert_eq!(status, want_status, "unexpected status, body {body}");
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["error"], json!(error), "{body}");
    match error_type {
        Some(t) => assert_eq!(body["errorType"], json!(t), "{body}"),
        None => assert!(
            body.get("errorType").is_none(),
            "unexpected errorType in {body}"
        ),
    }
}

/// Asserts a Meteor-style failure: 400, `"<reason> [<code>]"`, `errorType: <code>`.
pub fn assert_meteor(resp: Response, code: &str, reason: &str) {
    assert_failure(resp, 400, &format!("{reason} [{code}]"), Some(code));
}

/// The `(t, msg)` of the room's history, newest first.
pub async fn history(client: &Client, prefix: &str, rid: &str) -> Vec<(String, String)> {
    let body = client
        .get_ok(
            &format!("/api/v1/{prefix}.history"),
            &[("roomId", rid), ("count", "200")],
        )
        .await;
    body["messages"]
        .as_array()
        .expect("messages array")
        .iter()
        .map(|m| {
            (
                m["t"].as_str().unwrap_or("").to_owned(),
                m["msg"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub fn has_event(events: &[(String, String)], t: &str, msg: &str) -> bool {
    events.iter().any(|(et, em)| et == t && em == msg)
}
