//! `im.*` and `dm.*`: direct messages. Rocket.Chat registers every route under both names;
//! so does this module.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::{DateStyle, Room};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::direct;
use crate::services::history::HistoryRequest;
use crate::services::subscriptions::parse_date;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in ["im", "dm"] {
        let path = |name: &str| format!("/api/v1/{prefix}.{name}");
        router = router
            .route(&path("create"), post(create))
            .route(&path("list"), get(list))
            .route(&path("list.everyone"), get(list_everyone))
            .route(&path("history"), get(history))
            .route(&path("messages"), get(messages))
            .route(&path("messages.others"), get(messages_others))
            .route(&path("members"), get(members))
            .route(&path("counters"), get(counters))
            .route(&path("open"), post(open))
            .route(&path("close"), post(close))
            .route(&path("setTopic"), post(set_topic))
            .route(&path("delete"), post(delete));
    }
    router
}

/// A DM room as `im.create` returns it: the room plus `rid` (its id).
fn room_with_rid(room: &Room) -> Value {
    let mut doc = room.to_wire(DateStyle::Iso);
    doc["rid"] = Value::String(room.id.clone());
    doc
}

/// `roomId` or `username`, whichever the request names the DM by.
fn room_or_username(params: &Params) -> Result<String> {
    if let Some(room_id) = params.str_nonempty("roomId")? {
        return Ok(room_id);
    }
    if let Some(username) = params.str_nonempty("username")? {
        return Ok(username);
    }
    Err(Error::failure(
        "error-room-param-not-provided",
        "Query param \"roomId\" or \"username\" is required",
    ))
}

async fn create(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let usernames = match (params.str("username")?, params.str("usernames")?) {
        (Some(username), _) => vec![username],
        (None, Some(list)) => list.split(',').map(|u| u.trim().to_owned()).collect(),
        (None, None) => return Err(params.missing("username")),
    };
    let exclude_self = params.bool("excludeSelf")?.unwrap_or(false);
    let room = direct::create(&state, &caller.user, &usernames, exclude_self).await?;
    Ok(Success::new().with("room", room_with_rid(&room)))
}

fn rooms_page(paging: &Paging, rooms: Vec<Room>, total: i64) -> Success {
    let items = rooms
        .iter()
        .map(|r| paging.project(r.to_wire(DateStyle::Iso)))
        .collect();
    Success::new().page("ims", items, paging.offset, total)
}

async fn list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let sort = paging.sort(ferrochat_store::rooms::FIELDS)?;
    let (rooms, total) = direct::list(&state, &caller.user, &sort, paging.page()).await?;
    Ok(rooms_page(&paging, rooms, total))
}

async fn list_everyone(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let sort = paging.sort(ferrochat_store::rooms::FIELDS)?;
    let filter = paging.filter(ferrochat_store::rooms::FIELDS)?;
    let (rooms, total) =
        direct::list_everyone(&state, &caller.user, &filter, &sort, paging.page()).await?;
    Ok(rooms_page(&paging, rooms, total))
}

fn date_param(params: &Params, key: &str) -> Result<Option<i64>> {
    match params.str_nonempty(key)? {
        None => Ok(None),
        Some(text) => parse_date(&text)
            .map(Some)
            .ok_or_else(|| params.invalid(format!("'{key}' must be a valid date"))),
    }
}

async fn history(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let room_id = params.req_nonempty("roomId")?;
    let paging = Paging::from_params(&state, &params)?;
    let req = HistoryRequest {
        latest: date_param(&params, "latest")?,
        oldest: date_param(&params, "oldest")?,
        inclusive: params.bool("inclusive")?.unwrap_or(false),
        count: paging.count.unwrap_or(1000),
        offset: paging.offset,
        unreads: params.bool("unreads")?.unwrap_or(false),
        show_thread_messages: params.bool("showThreadMessages")?.unwrap_or(false),
    };
    let history = direct::history(&state, &caller.user, &room_id, &req).await?;
    Ok(Success::new().merge(history.to_wire(DateStyle::Iso)))
}

fn messages_page(paging: &Paging, messages: &[ferrochat_model::Message], total: i64) -> Success {
    let items = messages
        .iter()
        .map(|m| paging.project(m.to_wire(DateStyle::Iso)))
        .collect();
    Success::new().page("messages", items, paging.offset, total)
}

async fn messages(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let name_or_id = room_or_username(&params)?;
    let paging = Paging::from_params(&state, &params)?;
    let fields = ferrochat_store::messages::FIELDS;
    let (messages, total) = direct::messages(
        &state,
        &caller.user,
        &name_or_id,
        &paging.filter(fields)?,
        &paging.sort(fields)?,
        paging.page(),
    )
    .await?;
    Ok(messages_page(&paging, &messages, total))
}

async fn messages_others(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let fields = ferrochat_store::messages::FIELDS;
    let room_id = params.str("roomId")?;
    let (messages, total) = direct::messages_others(
        &state,
        &caller.user,
        room_id.as_deref(),
        &paging.filter(fields)?,
        &paging.sort(fields)?,
        paging.page(),
    )
    .await?;
    Ok(messages_page(&paging, &messages, total))
}

async fn members(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let name_or_id = room_or_username(&params)?;
    let paging = Paging::from_params(&state, &params)?;
    let filter = params.str("filter")?;
    let statuses = params.str_list("status")?.unwrap_or_default();
    let (members, total) = direct::members(
        &state,
        &caller.user,
        &name_or_id,
        filter.as_deref(),
        &statuses,
        paging.page(),
    )
    .await?;
    Ok(Success::new().page("members", members, paging.offset, total))
}

async fn counters(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let room_id = params.req_nonempty("roomId")?;
    let user_id = params.str("userId")?;
    let body = direct::counters(&state, &caller.user, &room_id, user_id.as_deref()).await?;
    Ok(Success::new().merge(body))
}

async fn open(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId"])?;
    let room_id = params.req_nonempty("roomId")?;
    direct::open(&state, &caller.user, &room_id).await?;
    Ok(Success::new())
}

async fn close(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId"])?;
    let room_id = params.req_nonempty("roomId")?;
    direct::close(&state, &caller.user, &room_id).await?;
    Ok(Success::new())
}

async fn set_topic(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId", "topic"])?;
    let room_id = params.req_nonempty("roomId")?;
    let topic = params.str("topic")?;
    direct::set_topic(
        &state,
        &caller.user,
        &room_id,
        topic.as_deref().unwrap_or(""),
    )
    .await?;
    let mut reply = Success::new();
    if let Some(topic) = topic {
        reply = reply.with("topic", json!(topic));
    }
    Ok(reply)
}

async fn delete(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId", "username"])?;
    let name_or_id = match (
        params.str_nonempty("roomId")?,
        params.str_nonempty("username")?,
    ) {
        (Some(room_id), _) => room_id,
        (None, Some(username)) => username,
        (None, None) => return Err(params.missing("roomId")),
    };
    direct::delete(&state, &caller.user, &name_or_id).await?;
    Ok(Success::new())
}
