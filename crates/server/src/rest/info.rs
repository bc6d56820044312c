//! Server information and health checks.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use crate::error::json_response;
use crate::gateway::MaybeAuth;
use crate::rest::{Reply, Success};
use crate::state::AppState;

/// The Rocket.Chat version whose API this server speaks.
pub const COMPAT_VERSION: &str = "7.4.0";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/info", get(info))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/health", get(readyz))
}

async fn info(State(state): State<AppState>, MaybeAuth(caller): MaybeAuth) -> Reply {
    let full = caller.is_some_and(|c| state.authz.has_global(&c.user, "view-statistics"));
    let mut reply = Success::new()
        .with("version", if full { COMPAT_VERSION } else { "7.4" })
        .with(
            "minimumClientVersions",
            json!({"desktop": "3.9.6", "mobile": "4.39.0"}),
        );
    if full {
        reply = reply.with(
            "info",
            json!({
                "version": COMPAT_VERSION,
                "build": {"platform": std::env::consts::OS, "arch": std::env::consts::ARCH},
                "commit": {},
                "marketplaceApiVersion": "1.0",
                "ferrochat": env!("CARGO_PKG_VERSION"),
            }),
        );
    }
    Ok(reply)
}

/// The process is up.
async fn livez() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => json_response(StatusCode::OK, &json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "unavailable"}),
            )
        }
    }
}
