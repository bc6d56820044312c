//! `permissions.listAll`, `permissions.update`.

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use ferrochat_model::time::parse_iso;
use serde_json::Value;
use std::net::SocketAddr;

use crate::gateway::Auth;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::access;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/permissions.listAll", get(list_all))
        .route("/api/v1/permissions.update", post(update))
}

async fn list_all(State(state): State<AppState>, Auth(_caller): Auth, params: Params) -> Reply {
    let since = match params.str("updatedSince")? {
        Some(text) => Some(parse_iso(&text).ok_or_else(|| {
            crate::error::Error::failure(
                "error-roomId-param-invalid",
                "The \"updatedSince\" query parameter must be a valid date.",
            )
        })?),
        None => None,
    };
    let update: Vec<Value> = access::permissions(&state, since)
        .await?
        .iter()
        .map(|p| access::permission_to_wire(p, DateStyle::Iso))
        .collect();
    Ok(Success::new()
        .with("update", update)
        .with("remove", Vec::<Value>::new()))
}

async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let Some(Value::Array(items)) = params.value("permissions") else {
        return Err(params.missing("permissions"));
    };
    let mut changes = Vec::with_capacity(items.len());
    for item in items {
        let (Some(Value::String(id)), Some(Value::Array(roles))) =
            (item.get("_id"), item.get("roles"))
        else {
            return Err(params.invalid("'permissions' must be an array of {_id, roles}"));
        };
        let roles = roles
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| params.invalid("'roles' must be an array of strings"))?;
        changes.push((id.clone(), roles));
    }
    let all = access::update_permissions(&state, &caller.user, Some(peer.ip()), &changes).await?;
    let permissions: Vec<Value> = all
        .iter()
        .map(|p| access::permission_to_wire(p, DateStyle::Iso))
        .collect();
    Ok(Success::new().with("permissions", permissions))
}
