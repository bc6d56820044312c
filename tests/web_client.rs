//! The web client served by the binary (`web/static/`, issue 7).
//!
//! - Plain HTTP, no browser: the app's page and its paths answer with `index.html` under a
//!   strict Content-Security-Policy, assets have ETags and answer 304 on revalidation, `..`
//!   in asset paths reaches no file, unknown assets are 404s in the Rocket.Chat envelope.
//! - In a real browser: `web/tests/e2e.mjs` drives Debian's chromium through `playwright-core`
//!   against a server started here (SQLite store): two users chat live in two browser
//!   contexts, unread badges, reactions, threads, an image upload, edit and delete,
//!   keyboard-only login, reconnection after a server restart, accessibility scans (axe-core)
//!   and screenshots of the main screens.
//!
//! The restart protocol: when the script prints a line `RESTART_SERVER`, this test restarts the
//! server on the same port and writes `restarted` to the script's standard input.
//!
//! Needs `web/node_modules` (installed by `scripts/test` with `npm ci`, checked against the
//! stamp it writes) and chromium (`FERROCHAT_CHROMIUM`, default `/usr/bin/chromium`; installed
//! by `scripts/test`). Missing tools fail the test: it is never skipped silently.
//! Screenshots go to `FERROCHAT_ARTIFACTS`, default `$CARGO_TARGET_DIR/web-artifacts` (or
//! `target/web-artifacts`). `FERROCHAT_E2E_ECHO=1` shows the script's progress live
//! (`cargo test --test web_client -- --nocapture`); its whole output is shown on failure.

mod common;

use common::node::{collect, node_binary};
use common::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// How long the browser script may run in all (it has its own, shorter watchdog).
const E2E_TIMEOUT: Duration = Duration::from_secs(175);

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn chromium_binary() -> String {
    std::env::var("FERROCHAT_CHROMIUM")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "/usr/bin/chromium".to_string())
}

/// Where the screenshots go.
fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERROCHAT_ARTIFACTS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("web-artifacts")
}

fn require_web_packages() {
    common::node::require_npm_packages(&web_dir(), "the web client's npm packages");
}

fn require_chromium() -> String {
    let chromium = chromium_binary();
    assert!(
        Path::new(&chromium).is_file(),
        "chromium not found at {chromium}: run scripts/test (it installs Debian's chromium when \
         absent) or point FERROCHAT_CHROMIUM at a Chromium binary"
    );
    chromium
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Fetched {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn fetch(url: &str, if_none_match: Option<&str>) -> Fetched {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("reqwest client");
    let mut req = http.get(url);
    if let Some(tag) = if_none_match {
        req = req.header(reqwest::header::IF_NONE_MATCH, tag);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .text()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: reading the body: {e}"));
    Fetched {
        status,
        headers,
        body,
    }
}

/// Sends `GET <raw_path>` byte for byte (HTTP clients normalise `..` and `%2e%2e` away before
/// sending, which would hide what the server does with them); returns (status, whole response).
async fn raw_get(port: u16, raw_path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    let request =
        format!("GET {raw_path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write the request");
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut bytes))
        .await
        .unwrap_or_else(|_| panic!("GET {raw_path}: no complete answer within 20 s"))
        .unwrap_or_else(|e| panic!("GET {raw_path}: {e}"));
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("GET {raw_path}: not an HTTP answer: {text:?}"));
    (status, text)
}

/// The directives of a Content-Security-Policy: name → source list.
fn csp_directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next()?.to_ascii_lowercase();
            Some((name, parts.map(str::to_string).collect()))
        })
        .collect()
}

fn assert_strict_csp(what: &str, policy: &str) {
    assert!(!policy.is_empty(), "{what}: no Content-Security-Policy");
    let directives = csp_directives(policy);
    let get = |name: &str| -> Vec<String> {
        directives
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{what}: the CSP has no {name} directive: {policy}"))
    };
    assert_eq!(
        get("script-src"),
        vec!["'self'".to_string()],
        "{what}: script-src must be exactly 'self': {policy}"
    );
    for bad in ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"] {
        assert!(
            !directives.iter().any(|(_, v)| v.iter().any(|s| s == bad)),
            "{what}: the CSP allows {bad}: {policy}"
        );
    }
    assert_eq!(
        get("object-src"),
        vec!["'none'".to_string()],
        "{what}: {policy}"
    );
    assert_eq!(
        get("frame-ancestors"),
        vec!["'none'".to_string()],
        "{what}: {policy}"
    );
}

/// Every `<script>` of the page loads a file of its own (no inline script to allow).
fn assert_no_inline_script(what: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find("<script") {
        let tag_end = rest[start..]
            .find('>')
            .map(|i| start + i)
            .unwrap_or_else(|| panic!("{what}: unterminated <script tag"));
        let tag = &rest[start..=tag_end];
        assert!(tag.contains("src="), "{what}: inline script {tag}");
        let close = rest[tag_end..]
            .find("</script>")
            .map(|i| tag_end + i)
            .unwrap_or(tag_end);
        assert!(
            rest[tag_end + 1..close].trim().is_empty(),
            "{what}: a script with src also has inline code"
        );
        rest = &rest[tag_end + 1..];
    }
    assert!(
        !lower.contains(" onload=") && !lower.contains(" onclick=") && !lower.contains(" onerror="),
        "{what}: inline event handler attributes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_app_under_a_strict_csp() {
    run_test(Backend::Sqlite, &[], |server| async move {
        let mut index_body = None;
        for path in ["/", "/login", "/home", "/channel/general"] {
            let page = fetch(&format!("{}{path}", server.url), None).await;
            assert_eq!(page.status, 200, "GET {path}: {}", page.body);
            assert!(
                page.header("content-type").starts_with("text/html"),
                "GET {path}: content-type {}",
                page.header("content-type")
            );
            assert!(
                page.body.to_ascii_lowercase().contains("<!doctype html"),
                "GET {path} is not an HTML page: {}",
                page.body
            );
            assert_strict_csp(
                &format!("GET {path}"),
                page.header("content-security-policy"),
            );
            assert_no_inline_script(&format!("GET {path}"), &page.body);
            // Every app path answers with the same page.
            match &index_body {
                None => index_body = Some(page.body.clone()),
                Some(first) => assert_eq!(first, &page.body, "GET {path} differs from GET /"),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_have_etags_and_revalidate() {
    run_test(Backend::Sqlite, &[], |server| async move {
        let url = format!("{}/web/js/app.js", server.url);
        let first = fetch(&url, None).await;
        assert_eq!(first.status, 200, "GET /web/js/app.js: {}", first.body);
        assert!(
            first.header("content-type").contains("javascript"),
            "GET /web/js/app.js: content-type {}",
            first.header("content-type")
        );
        assert!(!first.body.is_empty(), "GET /web/js/app.js: empty body");
        let etag = first.header("etag").to_string();
        assert!(
            etag.starts_with('"') || etag.starts_with("W/\""),
            "GET /web/js/app.js: no usable ETag (got {etag:?})"
        );

        let again = fetch(&url, Some(&etag)).await;
        assert_eq!(
            again.status, 304,
            "If-None-Match with the current ETag: expected 304, got {}",
            again.status
        );
        assert!(again.body.is_empty(), "a 304 has no body");
        assert_eq!(again.header("etag"), etag, "the 304 repeats the ETag");

        let other = fetch(&url, Some("\"not-the-etag\"")).await;
        assert_eq!(other.status, 200, "a stale ETag gets the file again");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_preloads_versioned_assets_that_are_cached_for_good() {
    run_test(Backend::Sqlite, &[], |server| async move {
        let page = fetch(&format!("{}/", server.url), None).await;
        // Every address on the page carries the same version: /web/v-<digest>/...
        let versions: std::collections::BTreeSet<&str> = page
            .body
            .match_indices("\"/web/v-")
            .map(|(at, _)| {
                let rest = &page.body[at + 8..];
                &rest[..rest.find('/').expect("a path after the version")]
            })
            .collect();
        assert_eq!(
            versions.len(),
            1,
            "one asset version on the page: {}",
            page.body
        );
        let version = versions.into_iter().next().unwrap_or_default().to_owned();
        assert!(
            !page.body.contains("\"/web/js/") && !page.body.contains("\"/web/app.css"),
            "an unversioned asset address on the page: {}",
            page.body
        );
        for module in [
            "js/app.js",
            "js/store.js",
            "js/ui/room.js",
            "vendor/preact.js",
        ] {
            assert!(
                page.body.contains(&format!(
                    "<link rel=\"modulepreload\" href=\"/web/v-{version}/{module}\">"
                )),
                "{module} is not preloaded: {}",
                page.body
            );
        }

        let versioned = fetch(&format!("{}/web/v-{version}/js/app.js", server.url), None).await;
        assert_eq!(versioned.status, 200);
        assert!(
            versioned.header("cache-control").contains("immutable"),
            "cache-control {}",
            versioned.header("cache-control")
        );
        let plain = fetch(&format!("{}/web/js/app.js", server.url), None).await;
        assert_eq!(
            plain.body, versioned.body,
            "the same file under both addresses"
        );
        assert_eq!(plain.header("cache-control"), "no-cache");
        // An address from an older build still answers, but is not cached for good.
        let stale = fetch(
            &format!("{}/web/v-000000000000/js/app.js", server.url),
            None,
        )
        .await;
        assert_eq!(stale.status, 200);
        assert_eq!(stale.header("cache-control"), "no-cache");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asset_paths_leak_no_files_and_unknown_assets_are_404() {
    run_test(Backend::Sqlite, &[], |server| async move {
        // web/package.json is one level above web/static, Cargo.toml two.
        let probes = [
            "/web/../Cargo.toml",
            "/web/../../Cargo.toml",
            "/web/%2e%2e/Cargo.toml",
            "/web/%2e%2e/%2e%2e/Cargo.toml",
            "/web/..%2f..%2fCargo.toml",
            "/web/%2e%2e%2f%2e%2e%2fCargo.toml",
            "/web/js/../../../Cargo.toml",
            "/web/../package.json",
            "/web/%2e%2e/package.json",
            "/web/%2E%2E/package.json",
            "/web/..%5c..%5cCargo.toml",
            "/web//etc/passwd",
            "/web/%2fetc%2fpasswd",
        ];
        for probe in probes {
            let (status, response) = raw_get(server.port(), probe).await;
            for marker in ["[workspace]", "[package]", "ferrochat-web", "root:x:0:0"] {
                assert!(
                    !response.contains(marker),
                    "GET {probe} leaked a file (it contains {marker:?}):\n{response}"
                );
            }
            assert!(
                status == 404 || status == 400,
                "GET {probe}: expected 404 (or 400), got {status}:\n{response}"
            );
        }

        let missing = fetch(&format!("{}/web/x.js", server.url), None).await;
        assert_eq!(missing.status, 404, "GET /web/x.js: {}", missing.body);
        assert!(
            missing
                .header("content-type")
                .starts_with("application/json"),
            "GET /web/x.js: content-type {}",
            missing.header("content-type")
        );
        let body: Value = serde_json::from_str(&missing.body)
            .unwrap_or_else(|e| panic!("GET /web/x.js: not JSON ({e}): {}", missing.body));
        assert_eq!(body["success"], json!(false), "{body}");
        assert!(body["error"].is_string(), "{body}");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// In the browser

/// `FERROCHAT_E2E_ECHO=1` echoes the script's output as it runs (it is shown on failure anyway).
fn echo_enabled() -> bool {
    matches!(
        std::env::var("FERROCHAT_E2E_ECHO").as_deref(),
        Ok("1") | Ok("true")
    )
}

fn output(stdout: &Mutex<String>, stderr: &Mutex<String>) -> String {
    format!(
        "--- web/tests/e2e.mjs stdout ---\n{}--- web/tests/e2e.mjs stderr ---\n{}",
        stdout.lock().map(|s| s.clone()).unwrap_or_default(),
        stderr.lock().map(|s| s.clone()).unwrap_or_default()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_in_the_browser() {
    require_web_packages();
    let chromium = require_chromium();
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", artifacts.display()));
    eprintln!("web client screenshots: {}", artifacts.display());
    println!("web client screenshots: {}", artifacts.display());

    let mut server = Server::start(Backend::Sqlite).await;
    let dir = web_dir();
    let node = node_binary();
    let artifacts_str = artifacts.display().to_string();
    let mut cmd = tokio::process::Command::new(&node);
    cmd.arg(dir.join("tests/e2e.mjs"))
        .current_dir(&dir)
        .env("FERROCHAT_URL", &server.url)
        .env("FERROCHAT_ADMIN_USER", TEST_ADMIN)
        .env("FERROCHAT_ADMIN_PASSWORD", TEST_ADMIN)
        .env("FERROCHAT_CHROMIUM", &chromium)
        .env("FERROCHAT_ARTIFACTS", &artifacts_str)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {node} ({e}). Node.js is needed for the browser tests: run scripts/test \
             (it installs nodejs and npm when absent) or set FERROCHAT_NODE."
        )
    });
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let (tx, mut lines) = mpsc::unbounded_channel();
    let echo = echo_enabled().then_some("e2e| ");
    collect(
        child.stdout.take().expect("piped stdout"),
        stdout.clone(),
        Some(tx),
        echo,
    );
    collect(
        child.stderr.take().expect("piped stderr"),
        stderr.clone(),
        None,
        echo,
    );
    let mut stdin = child.stdin.take().expect("piped stdin");

    let deadline = tokio::time::Instant::now() + E2E_TIMEOUT;
    let mut restarts = 0;
    loop {
        match tokio::time::timeout_at(deadline, lines.recv()).await {
            Ok(Some(line)) if line.trim() == "RESTART_SERVER" => {
                server.restart().await;
                restarts += 1;
                eprintln!("e2e: server restarted on {}", server.url);
                stdin
                    .write_all(b"restarted\n")
                    .await
                    .unwrap_or_else(|e| panic!("writing to the script's stdin: {e}"));
                stdin.flush().await.expect("flush the script's stdin");
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                let _ = child.kill().await;
                panic!(
                    "web/tests/e2e.mjs did not finish within {} s (screenshots in {})\n{}",
                    E2E_TIMEOUT.as_secs(),
                    artifacts.display(),
                    output(&stdout, &stderr)
                );
            }
        }
    }
    let status = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => panic!("waiting for web/tests/e2e.mjs: {e}"),
        Err(_) => {
            let _ = child.kill().await;
            panic!(
                "web/tests/e2e.mjs closed its output but did not exit\n{}",
                output(&stdout, &stderr)
            );
        }
    };
    // Let the readers drain what the script printed last.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        status.success(),
        "web/tests/e2e.mjs failed ({status}); screenshots in {}\n{}",
        artifacts.display(),
        output(&stdout, &stderr)
    );
    assert_eq!(
        restarts,
        1,
        "the script asked for {restarts} server restarts instead of one\n{}",
        output(&stdout, &stderr)
    );
}
