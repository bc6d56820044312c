//! `rooms.*`: the caller's rooms of every type: sync, info, favourite, leave, hide, open.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::subscriptions::parse_date;
use crate::services::{room_admin, room_settings, subscriptions, user_rooms};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rooms.get", get(rooms_get))
        .route("/api/v1/rooms.info", get(info))
        .route("/api/v1/rooms.roles", get(roles))
        .route("/api/v1/rooms.muteUser", post(mute_user))
        .route("/api/v1/rooms.unmuteUser", post(unmute_user))
        .route("/api/v1/rooms.favorite", post(favorite))
        .route("/api/v1/rooms.leave", post(leave))
        .route("/api/v1/rooms.hide", post(hide))
        .route("/api/v1/rooms.open", post(open))
        .route("/api/v1/rooms.saveRoomSettings", post(save_settings))
}

async fn rooms_get(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let since = match params.str_nonempty("updatedSince")? {
        None => None,
        Some(text) => Some(parse_date(&text).ok_or_else(|| {
            Error::failure(
                "error-updatedSince-param-invalid",
                "The \"updatedSince\" query parameter must be a valid date.",
            )
        })?),
    };
    let (update, remove) = user_rooms::sync(&state, &caller.user, since).await?;
    let update: Vec<Value> = update.iter().map(|r| r.to_wire(DateStyle::Iso)).collect();
    Ok(Success::new().with("update", update).with("remove", remove))
}

/// `roomId` / `roomName` as strings (operator objects and other types are refused).
fn room_keys(params: &Params) -> Result<(Option<String>, Option<String>)> {
    Ok((params.str("roomId")?, params.str("roomName")?))
}

async fn info(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let (room_id, room_name) = room_keys(&params)?;
    let room =
        user_rooms::find_by_id_or_name(&state, room_id.as_deref(), room_name.as_deref(), false)
            .await?;
    let paging = Paging::from_params(&state, &params)?;
    user_rooms::info(&state, &caller.user, &room).await?;
    Ok(Success::new().with("room", paging.project(room.to_wire(DateStyle::Iso))))
}

async fn favorite(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    if params.value("favorite").is_none() {
        return Err(Error::plain("The 'favorite' param is required"));
    }
    let favorite = params
        .bool("favorite")?
        .ok_or_else(|| params.missing("favorite"))?;
    let (room_id, room_name) = room_keys(&params)?;
    let room =
        user_rooms::find_by_id_or_name(&state, room_id.as_deref(), room_name.as_deref(), false)
            .await?;
    subscriptions::favorite(&state, &caller.user, &room, favorite).await?;
    Ok(Success::new())
}

async fn leave(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let (room_id, room_name) = room_keys(&params)?;
    let room =
        user_rooms::find_by_id_or_name(&state, room_id.as_deref(), room_name.as_deref(), false)
            .await?;
    user_rooms::leave(&state, &caller.user, &room).await?;
    Ok(Success::new())
}

async fn hide(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId"])?;
    let room_id = params.req_nonempty("roomId")?;
    subscriptions::hide(&state, &caller.user, &room_id).await?;
    Ok(Success::new())
}

async fn open(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId"])?;
    let room_id = params.req_nonempty("roomId")?;
    subscriptions::open(&state, &caller.user, &room_id).await?;
    Ok(Success::new())
}

/// `rooms.roles`: the room's owners, moderators and leaders, for any room the caller may
/// read (`getRoomRoles`).
async fn roles(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("rid")?;
    let Some(room) = user_rooms::find_readable(&state, &caller.user, &rid, false).await? else {
        return Err(Error::failure("error-not-allowed", "Not allowed"));
    };
    Ok(Success::new().with("roles", room_admin::room_roles(&state, &room).await?))
}

/// `rooms.muteUser` / `rooms.unmuteUser`: `roomId*` and `userId` or `username`.
async fn set_muted(
    state: &AppState,
    caller: &crate::gateway::Caller,
    params: &Params,
    mute: bool,
) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let target = match (
        params.str_nonempty("userId")?,
        params.str_nonempty("username")?,
    ) {
        (Some(id), _) => state.store.user_by_id(&id).await?,
        (None, Some(name)) => state.store.user_by_username(&name).await?,
        (None, None) => return Err(params.missing("userId")),
    }
    .ok_or_else(|| Error::failure("error-invalid-user", "Invalid user"))?;
    let Some(room) = user_rooms::find_readable(state, &caller.user, &rid, false).await? else {
        return Err(Error::failure("error-invalid-room", "Invalid room"));
    };
    crate::services::muting::set_muted(state, &caller.user, &room, &target, mute).await?;
    Ok(Success::new())
}

async fn mute_user(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    set_muted(&state, &caller, &params, true).await
}

async fn unmute_user(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    set_muted(&state, &caller, &params, false).await
}

/// `{rid, roomName?, roomTopic?, ..., systemMessages?}`: `{rid}`.
async fn save_settings(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("rid")?;
    let mut settings = params.raw().clone();
    settings.remove("rid");
    room_settings::save(&state, &caller.user, &rid, &settings).await?;
    Ok(Success::new().with("rid", rid))
}
