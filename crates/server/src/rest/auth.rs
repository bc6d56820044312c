//! `login`, `logout`, `me`.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrochat_model::password::{client_digest, is_digest};
use serde_json::{Value, json};

use crate::error::{Error, Result, json_response};
use crate::gateway::Auth;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::auth::{self, LoginRequest, LoginUser};
use crate::services::users;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout).get(logout))
        .route("/api/v1/me", get(me))
}

/// Rocket.Chat's `loginCompatibility`: a body whose keys are all among
/// `user, username, email, password, code` is a password login; anything else (`resume`,
/// `{user: {...}, password: {digest}}`) goes to the DDP login unchanged.
fn login_request(params: &Params) -> Result<LoginRequest> {
    const COMPAT: &[&str] = &["user", "username", "email", "password", "code"];
    let body = params.raw();
    if !body.is_empty()
        && body.keys().all(|k| COMPAT.contains(&k.as_str()))
        && !body.get("user").is_some_and(Value::is_object)
    {
        let user = if let Some(user) = params.str("user")? {
            if user.contains('@') {
                LoginUser::Email(user)
            } else {
                LoginUser::Username(user)
            }
        } else if let Some(username) = params.str("username")? {
            LoginUser::Username(username)
        } else if let Some(email) = params.str("email")? {
            LoginUser::Email(email)
        } else {
            return Err(params.missing("user"));
        };
        let digest = match params.value("password") {
            Some(Value::String(plain)) => client_digest(plain),
            Some(Value::Object(p)) => match p.get("hashed") {
                Some(Value::String(h)) if is_digest(h) => h.to_ascii_lowercase(),
                _ => return Err(params.invalid("'password.hashed' must be a SHA-256 hex digest")),
            },
            Some(_) => return Err(params.invalid("'password' must be string")),
            None => return Err(params.missing("password")),
        };
        return Ok(LoginRequest::Password { user, digest });
    }
    LoginRequest::from_ddp(&Value::Object(body.clone()))
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    params: Params,
) -> Response {
    let result = async {
        let request = login_request(&params)?;
        auth::login(&state, request, Some(peer.ip())).await
    }
    .await;
    match result {
        Ok(done) => {
            let body = json!({
                "status": "success",
                "data": {
                    "userId": done.user.id,
                    "authToken": done.token,
                    "me": users::me(&state, &done.user),
                },
                "success": true,
            });
            json_response(axum::http::StatusCode::OK, &body)
        }
        Err(Error::Failure {
            code,
            reason,
            details,
        }) => {
            // Malformed login bodies still answer in the login envelope.
            let reason = reason.unwrap_or_default();
            let mut body =
                json!({"status": "error", "error": code, "message": reason, "success": false});
            if let Some(details) = details {
                body["details"] = details;
            }
            json_response(axum::http::StatusCode::BAD_REQUEST, &body)
        }
        Err(other) => other.into_response(),
    }
}

async fn logout(State(state): State<AppState>, Auth(caller): Auth) -> Response {
    match auth::logout(&state, &caller.hashed_token).await {
        Ok(()) => json_response(
            axum::http::StatusCode::OK,
            &json!({"status": "success", "data": {"message": "You've been logged out!"}}),
        ),
        Err(e) => e.into_response(),
    }
}

async fn me(State(state): State<AppState>, Auth(caller): Auth) -> Reply {
    Ok(Success::new().merge(users::me(&state, &caller.user)))
}
