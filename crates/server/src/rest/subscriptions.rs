//! `subscriptions.*`: the caller's memberships: sync, one room's, read and unread.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use serde_json::Value;

use crate::error::Error;
use crate::gateway::Auth;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::subscriptions::{self, parse_date};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subscriptions.get", get(get_all))
        .route("/api/v1/subscriptions.getOne", get(get_one))
        .route("/api/v1/subscriptions.read", post(read))
        .route("/api/v1/subscriptions.unread", post(unread))
}

async fn get_all(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let since = match params.str_nonempty("updatedSince")? {
        None => None,
        Some(text) => Some(parse_date(&text).ok_or_else(|| {
            Error::failure(
                "error-roomId-param-invalid",
                "The \"lastUpdate\" query parameter must be a valid date.",
            )
        })?),
    };
    let (update, remove) = subscriptions::sync(&state, &caller.user, since).await?;
    let update: Vec<Value> = update.iter().map(|s| s.to_wire(DateStyle::Iso)).collect();
    Ok(Success::new().with("update", update).with("remove", remove))
}

async fn get_one(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId"])?;
    let room_id = params.req_nonempty("roomId")?;
    let sub = subscriptions::get_one(&state, &caller.user, &room_id).await?;
    Ok(Success::new().with(
        "subscription",
        sub.map_or(Value::Null, |s| s.to_wire(DateStyle::Iso)),
    ))
}

async fn read(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["rid", "roomId", "readThreads"])?;
    let rid = match (params.str_nonempty("rid")?, params.str_nonempty("roomId")?) {
        (Some(rid), _) | (None, Some(rid)) => rid,
        (None, None) => return Err(params.missing("rid")),
    };
    let threads = params.bool("readThreads")?.unwrap_or(false);
    subscriptions::read(&state, &caller.user, &rid, threads).await?;
    Ok(Success::new())
}

async fn unread(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId", "firstUnreadMessage"])?;
    let room_id = params.str_nonempty("roomId")?;
    let first_unread = match params.object("firstUnreadMessage")? {
        None => None,
        Some(message) => match message.get("_id") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => return Err(params.missing("firstUnreadMessage._id")),
        },
    };
    if room_id.is_none() && first_unread.is_none() {
        return Err(params.missing("roomId"));
    }
    subscriptions::unread(
        &state,
        &caller.user,
        first_unread.as_deref(),
        room_id.as_deref(),
    )
    .await?;
    Ok(Success::new())
}
