//! `roles.*`: listing, syncing, creating, editing and granting roles.

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::{get, post};
use ferrochat_model::time::{iso, parse_iso};
use serde_json::{Value, json};
use std::net::SocketAddr;

use crate::error::Error;
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::access::{self, RoleInput};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/roles.list", get(list))
        .route("/api/v1/roles.sync", get(sync))
        .route("/api/v1/roles.create", post(create))
        .route("/api/v1/roles.update", post(update))
        .route("/api/v1/roles.delete", post(delete))
        .route("/api/v1/roles.addUserToRole", post(add_user))
        .route("/api/v1/roles.removeUserFromRole", post(remove_user))
        .route("/api/v1/roles.getUsersInRole", get(users_in_role))
        .route(
            "/api/v1/roles.getUsersInPublicRoles",
            get(users_in_public_roles),
        )
}

async fn list(State(state): State<AppState>, Auth(_caller): Auth) -> Reply {
    let roles: Vec<Value> = state
        .store
        .roles()
        .await?
        .iter()
        .map(|r| access::role_to_wire(r, false))
        .collect();
    Ok(Success::new().with("roles", roles))
}

async fn sync(State(state): State<AppState>, Auth(_caller): Auth, params: Params) -> Reply {
    let text = params.req_str("updatedSince")?;
    let since =
        parse_iso(&text).ok_or_else(|| params.invalid("'updatedSince' must be an ISO date"))?;
    let (update, removed) = access::sync_roles(&state, since).await?;
    let update: Vec<Value> = update
        .iter()
        .map(|r| access::role_to_wire(r, true))
        .collect();
    let remove: Vec<Value> = removed
        .iter()
        .map(|(id, at)| json!({"_id": id, "_deletedAt": iso(*at)}))
        .collect();
    Ok(Success::new().with("roles", json!({"update": update, "remove": remove})))
}

fn role_input(params: &Params) -> crate::error::Result<RoleInput> {
    Ok(RoleInput {
        name: params.req_nonempty("name")?,
        scope: params.str("scope")?,
        description: params.str("description")?,
        mandatory2fa: params.bool("mandatory2fa")?,
    })
}

async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    params.only(&["name", "scope", "description", "mandatory2fa"])?;
    let role =
        access::create_role(&state, &caller.user, Some(peer.ip()), role_input(&params)?).await?;
    Ok(Success::new().with("role", access::role_to_wire(&role, true)))
}

async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    params.only(&["roleId", "name", "scope", "description", "mandatory2fa"])?;
    let role_id = params.req_nonempty("roleId")?;
    let role = access::update_role(
        &state,
        &caller.user,
        Some(peer.ip()),
        &role_id,
        role_input(&params)?,
    )
    .await?;
    Ok(Success::new().with("role", access::role_to_wire(&role, true)))
}

async fn delete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let role_id = params.req_nonempty("roleId")?;
    access::delete_role(&state, &caller.user, Some(peer.ip()), &role_id).await?;
    Ok(Success::new())
}

/// `roleId`, or the deprecated `roleName`.
fn role_param(params: &Params) -> crate::error::Result<String> {
    match (
        params.str_nonempty("roleId")?,
        params.str_nonempty("roleName")?,
    ) {
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(Error::plain("error-invalid-role-properties")),
    }
}

async fn add_user(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let role_id = role_param(&params)?;
    let username = params.req_nonempty("username")?;
    let room = params.str_nonempty("roomId")?;
    let role = access::add_user_to_role(
        &state,
        &caller.user,
        Some(peer.ip()),
        &role_id,
        &username,
        room.as_deref(),
    )
    .await?;
    Ok(Success::new().with("role", access::role_to_wire(&role, true)))
}

async fn remove_user(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let role_id = role_param(&params)?;
    let username = params.req_nonempty("username")?;
    let room = match params.str_nonempty("roomId")? {
        Some(room) => Some(room),
        None => params.str_nonempty("scope")?,
    };
    let role = access::remove_user_from_role(
        &state,
        &caller.user,
        Some(peer.ip()),
        &role_id,
        &username,
        room.as_deref(),
    )
    .await?;
    Ok(Success::new().with("role", access::role_to_wire(&role, true)))
}

async fn users_in_role(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let Some(role) = params.str_nonempty("role")? else {
        return Err(Error::failure(
            "error-param-not-provided",
            "Query param \"role\" is required",
        ));
    };
    let room = params.str_nonempty("roomId")?;
    let paging = Paging::from_params(&state, &params)?;
    let (users, total) =
        access::users_in_role(&state, &caller.user, &role, room.as_deref(), paging.page()).await?;
    Ok(Success::new().with("users", users).with("total", total))
}

async fn users_in_public_roles(State(state): State<AppState>, Auth(_caller): Auth) -> Reply {
    Ok(Success::new().with("users", access::users_in_public_roles(&state).await?))
}
