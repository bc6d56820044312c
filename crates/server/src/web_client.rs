//! The web client: the files of `web/static/`, embedded in release builds (debug builds read
//! them from the source tree, so a page reload shows an edit), served at `/web/` and the
//! app's own paths (`/`, `/home`, `/channel/<name>`, ...), which all answer with `index.html`
//! so a reload or a shared link opens the right screen.
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
    "/directory",
    "/account",
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
    router
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if path == "index.html" {
        return serve("index.html", &headers);
    }
    serve(&path, &headers)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    // rust-embed resolves names inside the embedded tree only (and in debug builds rejects
    // paths that leave the folder), so `..` cannot reach other files.
    let Some(file) = Assets::get(path) else {
        return crate::rest::not_found_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mut response = if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = file.metadata.mimetype();
        let content_type = if mime.starts_with("text/") || mime == "application/javascript" {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
        (
            [(header::CONTENT_TYPE, content_type)],
            file.data.into_owned(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    // File names carry no content hash, so browsers revalidate (a cheap 304) on each load.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
