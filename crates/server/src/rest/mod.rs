//! The REST API under `/api/v1`, one module per Rocket.Chat namespace. Handlers are thin:
//! read parameters, call one service function, shape the reply.

pub mod audit;
pub mod auth;
pub mod avatars;
pub mod channels;
pub mod chat;
pub mod commands;
pub mod custom_emoji;
pub mod directory;
pub mod discussions;
pub mod groups;
pub mod im;
pub mod info;
pub mod message_actions;
pub mod message_sync;
pub mod method_call;
pub mod permissions;
pub mod reply;
pub mod roles;
pub mod rooms;
pub mod settings;
pub mod subscriptions;
pub mod uploads;
pub mod users;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::json_response;
use crate::gateway;
use crate::state::AppState;

pub use reply::{Reply, Success};

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(info::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(channels::routes())
        .merge(groups::routes())
        .merge(im::routes())
        .merge(chat::routes())
        .merge(commands::routes())
        .merge(custom_emoji::routes())
        .merge(directory::routes())
        .merge(discussions::routes())
        .merge(message_actions::routes())
        .merge(message_sync::routes())
        .merge(rooms::routes())
        .merge(subscriptions::routes())
        .merge(uploads::routes())
        .merge(avatars::routes())
        .merge(settings::routes())
        .merge(method_call::routes())
        .merge(permissions::routes())
        .merge(roles::routes())
        .merge(audit::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            gateway::ratelimit::limit,
        ));
    api.merge(crate::realtime::routes())
        .merge(custom_emoji::image_routes())
        .merge(uploads::download_routes())
        .merge(avatars::image_routes())
        .merge(crate::web_client::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gateway::auth::identify,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            gateway::headers::set_headers,
        ))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                crate::error::Error::Internal.into_response()
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> Response {
    not_found_response()
}

/// Rocket.Chat's answer to a path nothing serves.
pub fn not_found_response() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"success": false, "error": "Resource not found"}),
    )
}

async fn method_not_allowed() -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"success": false, "error": "Method not allowed"}),
    )
}
