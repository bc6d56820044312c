//! The web client: the files of `web/static/`, embedded in release builds (debug builds read
//! them from the source tree, so a page reload shows an edit), served at `/web/` and the
//! app's own paths (`/`, `/home`, `/channel/<name>`, ...), which all answer with `index.html`
//! so a reload or a shared link opens the right screen.
//!
//! The page refers to its files as `/web/v-<version>/...`, where the version is a digest of
//! all of them: those answers are cacheable for a year, and a new build changes every address,
//! so a browser never mixes old and new modules and a reload costs one request.
//!
//! The page gets a strict Content-Security-Policy: scripts and styles only from this origin,
//! no inline script, no `eval`, no plugins, no framing. Message text never reaches the page as
//! HTML (the client builds DOM nodes from the `md` AST); the policy is the second line.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../../web/static/"]
#[exclude = "*.d.ts"]
struct Assets;

/// The policy of the app's page. `connect-src 'self'` covers the page's own `ws:`/`wss:`
/// origin in CSP level 3 browsers. Trusted Types with no policy make every HTML-parsing DOM
/// sink (`innerHTML`, `document.write`...) throw, so no code path can turn text into markup.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

/// The client-side routes; every one of them serves the app's page.
const APP_PATHS: &[&str] = &[
    "/",
    "/home",
    "/login",
    "/register",
    "/channel/{name}",
    "/channel/{name}/thread/{tmid}",
    "/group/{name}",
    "/group/{name}/thread/{tmid}",
    "/direct/{rid}",
    "/direct/{rid}/thread/{tmid}",
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route("/web/{*path}", get(asset));
    for path in APP_PATHS {
        router = router.route(path, get(page));
    }
    // The page and its modules shrink to about a quarter with gzip (230 KiB to ~60 KiB).
    router.layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

async fn page(headers: HeaderMap) -> Response {
    serve_page(&headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // `/web/v-<version>/<file>`: the addresses the page uses. The version names the whole set
    // of files, so they may be cached for good; other addresses are revalidated.
    let (path, caching) = match path.split_once('/') {
        Some((prefix, rest)) if prefix.strip_prefix("v-").is_some() => {
            let current = prefix == format!("v-{}", asset_version());
            (
                rest.to_owned(),
                if current { IMMUTABLE } else { REVALIDATE },
            )
        }
        _ => (path, REVALIDATE),
    };
    if path == "index.html" {
        return serve_page(&headers);
    }
    serve(&path, &headers, caching)
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// A digest of every embedded file: it changes whenever any of them does.
fn compute_asset_version() -> String {
    use sha2::Digest;
    let mut names: Vec<_> = Assets::iter().collect();
    names.sort();
    let mut hasher = sha2::Sha256::new();
    for name in names {
        if let Some(file) = Assets::get(&name) {
            hasher.update(name.as_bytes());
            hasher.update(file.metadata.sha256_hash());
        }
    }
    hex::encode(&hasher.finalize()[..6])
}

fn asset_version() -> String {
    // Debug builds read the files from the tree, which may change while the server runs.
    if cfg!(debug_assertions) {
        return compute_asset_version();
    }
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(compute_asset_version).clone()
}

/// `index.html` with its asset addresses under the current version (`/web/x` becomes
/// `/web/v-<version>/x`); module imports are relative, so they inherit it.
fn serve_page(request: &HeaderMap) -> Response {
    let Some(file) = Assets::get("index.html") else {
        return crate::rest::not_found_response();
    };
    let version = asset_version();
    // Every module is announced up front, so the browser fetches them in parallel instead of
    // discovering them import by import.
    let mut modules: Vec<_> = Assets::iter().filter(|n| n.ends_with(".js")).collect();
    modules.sort();
    let preloads: String = modules
        .iter()
        .map(|module| format!("  <link rel=\"modulepreload\" href=\"/web/{module}\">\n"))
        .collect();
    let text = String::from_utf8_lossy(&file.data)
        .replace("</head>", &format!("{preloads}</head>"))
        .replace("\"/web/", &format!("\"/web/v-{version}/"));
    respond(
        text.into_bytes(),
        "text/html; charset=utf-8",
        &format!("W/\"page-{version}\""),
        request,
        REVALIDATE,
    )
}

fn serve(path: &str, request: &HeaderMap, caching: &'static str) -> Response {
    // rust-embed resolves names inside the embedded tree only (and in debug builds rejects
    // paths that leave the folder), so `..` cannot reach other files.
    let Some(file) = Assets::get(path) else {
        return crate::rest::not_found_response();
    };
    // Weak: the same tag stands for the plain and the gzip-compressed body.
    let etag = format!("W/\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime == "application/javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    respond(
        file.data.into_owned(),
        &content_type,
        &etag,
        request,
        caching,
    )
}

fn respond(
    body: Vec<u8>,
    content_type: &str,
    etag: &str,
    request: &HeaderMap,
    caching: &'static str,
) -> Response {
    let mut response = if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type.to_owned())], body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
