//! `chat.*`: posting, sending (with client-chosen ids), editing, deleting and reading
//! messages.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use ferrochat_model::time::now_ms;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result, json_response};
use crate::gateway::Auth;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::messages::{self, NewMessage};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chat.postMessage", post(post_message))
        .route("/api/v1/chat.sendMessage", post(send_message))
        .route("/api/v1/chat.update", post(update))
        .route("/api/v1/chat.delete", post(delete))
        .route("/api/v1/chat.getMessage", get(get_message))
}

/// An optional list of objects (`attachments`, `blocks`).
fn object_list(params: &Params, key: &str) -> Result<Option<Vec<Value>>> {
    match params.value(key) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(_) => Err(params.invalid(format!("'{key}' must be array"))),
    }
}

/// An optional object kept as a JSON value (`customFields`, `bot`).
fn object_value(params: &Params, key: &str) -> Result<Option<Value>> {
    Ok(params.object(key)?.map(Value::Object))
}

/// A string or a list of strings (`roomId` / `channel` of `chat.postMessage`).
fn one_or_many(params: &Params, key: &str) -> Result<Option<Vec<String>>> {
    match params.value(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(_)) => params.str_list(key),
        Some(_) => Err(params.invalid(format!("'{key}' must be string"))),
    }
}

async fn post_message(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let channels = match (
        one_or_many(&params, "channel")?,
        one_or_many(&params, "roomId")?,
    ) {
        (Some(channels), _) if !channels.is_empty() => channels,
        (_, Some(rooms)) if !rooms.is_empty() => rooms,
        _ => return Err(params.missing("roomId")),
    };
    if channels.iter().any(|c| c.trim().is_empty()) {
        return Err(params.invalid("'roomId' must NOT have fewer than 1 characters"));
    }
    let text = match params.str("text")? {
        Some(text) => Some(text),
        None => params.str("msg")?,
    };
    let attachments = object_list(&params, "attachments")?;
    let parse_urls = params.bool("parseUrls")?;
    let new = NewMessage {
        id: None,
        msg: text.unwrap_or_default().trim().to_owned(),
        tmid: params.str_nonempty("tmid")?,
        tshow: false,
        alias: params.str_nonempty("alias")?,
        emoji: params.str_nonempty("emoji")?,
        avatar: params.str_nonempty("avatar")?,
        parse_urls: Some(parse_urls.unwrap_or(attachments.is_none())),
        attachments: Some(attachments.unwrap_or_default()),
        custom_fields: object_value(&params, "customFields")?,
        bot: object_value(&params, "bot")?,
        groupable: Some(params.bool("groupable")?.unwrap_or(false)),
        blocks: None,
    };
    let sent = messages::post(&state, &caller.user, &channels, new).await?;
    let Some((channel, message)) = sent.into_iter().next() else {
        return Err(Error::plain("unknown-error"));
    };
    Ok(Success::new()
        .with("ts", now_ms())
        .with("channel", channel)
        .with("message", message.to_wire(DateStyle::Iso)))
}

/// The `message` object of `chat.sendMessage`. Only fields a client may set are read;
/// anything the server owns (`u`, `ts`, `mentions`, `editedBy`, ...) is ignored.
fn new_message(message: Map<String, Value>) -> Result<(String, NewMessage)> {
    let fields = Params::from_map(message, false);
    if fields.has("t") {
        return Err(Error::plain(
            "Cannot send system messages using 'chat.sendMessage'",
        ));
    }
    let rid = fields.req_nonempty("rid")?;
    let new = NewMessage {
        id: fields.str("_id")?,
        msg: fields.str("msg")?.unwrap_or_default(),
        tmid: fields.str_nonempty("tmid")?,
        tshow: fields.bool("tshow")?.unwrap_or(false),
        alias: fields.str_nonempty("alias")?,
        emoji: fields.str_nonempty("emoji")?,
        avatar: fields.str_nonempty("avatar")?,
        attachments: object_list(&fields, "attachments")?,
        custom_fields: object_value(&fields, "customFields")?,
        bot: object_value(&fields, "bot")?,
        groupable: fields.bool("groupable")?,
        parse_urls: fields.bool("parseUrls")?,
        blocks: object_list(&fields, "blocks")?,
    };
    Ok((rid, new))
}

async fn send_message(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["message", "previewUrls"])?;
    let Some(message) = params.object("message")? else {
        return Err(params.missing("message"));
    };
    params.str_list("previewUrls")?;
    let (rid, new) = new_message(message)?;
    let sent = messages::send_to(&state, &caller.user, &rid, new).await?;
    Ok(Success::new().with("message", sent.message().to_wire(DateStyle::Iso)))
}

async fn update(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId", "msgId", "text", "previewUrls", "customFields"])?;
    let room_id = params.req_str("roomId")?;
    let msg_id = params.req_str("msgId")?;
    let text = params.req_str("text")?;
    params.str_list("previewUrls")?;
    let custom_fields = object_value(&params, "customFields")?;
    let message =
        messages::update(&state, &caller.user, &room_id, &msg_id, text, custom_fields).await?;
    Ok(Success::new().with("message", message.to_wire(DateStyle::Iso)))
}

async fn delete(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    params.only(&["roomId", "msgId", "asUser"])?;
    let room_id = params.req_str("roomId")?;
    let msg_id = params.req_str("msgId")?;
    let as_user = params.bool("asUser")?.unwrap_or(false);
    let message = messages::delete(&state, &caller.user, &room_id, &msg_id, as_user).await?;
    Ok(Success::new()
        .with("_id", message.id.clone())
        .with("ts", now_ms().to_string())
        .with(
            "message",
            json!({"_id": message.id, "rid": message.rid, "u": message.user.to_wire()}),
        ))
}

async fn get_message(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response> {
    params.only(&["msgId"])?;
    let msg_id = params.req_nonempty("msgId")?;
    match messages::get(&state, &caller.user, &msg_id).await? {
        Some(message) => Ok(Success::new()
            .with("message", message.to_wire(DateStyle::Iso))
            .into_response()),
        // `API.v1.failure()` without a message.
        None => Ok(json_response(
            StatusCode::BAD_REQUEST,
            &json!({"success": false}),
        )),
    }
}
