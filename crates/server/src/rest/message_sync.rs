//! Sync endpoints (`chat.syncMessages`, `chat.getDeletedMessages`, `chat.syncThreadsList`,
//! `chat.syncThreadMessages`) and `rooms.cleanHistory`.

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use ferrochat_model::time::parse_iso;
use ferrochat_store::message_sync::{CleanRange, Deleted};
use serde_json::{Value, json};
use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::clean_history;
use crate::services::message_sync::{self, Changes};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chat.syncMessages", get(sync_messages))
        .route("/api/v1/chat.getDeletedMessages", get(deleted_messages))
        .route("/api/v1/chat.syncThreadsList", get(sync_threads))
        .route("/api/v1/chat.syncThreadMessages", get(sync_thread_messages))
        .route("/api/v1/rooms.cleanHistory", post(clean))
}

/// A required ISO date parameter.
fn date(params: &Params, key: &str) -> Result<i64> {
    let text = params.req_nonempty(key)?;
    parse_iso(&text).ok_or_else(|| {
        Error::failure(
            &format!("error-{key}-param-invalid"),
            format!("The \"{key}\" query parameter must be a valid date."),
        )
    })
}

fn removed(deleted: &[Deleted]) -> Vec<Value> {
    deleted
        .iter()
        .map(|d| json!({"_id": d.id, "_deletedAt": DateStyle::Iso.date(d.deleted_at)}))
        .collect()
}

fn updated(changes: &Changes) -> Vec<Value> {
    changes
        .updated
        .iter()
        .map(|m| m.to_wire(DateStyle::Iso))
        .collect()
}

/// `?roomId=&lastUpdate=`: `{result: {updated, deleted}}`.
async fn sync_messages(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let since = date(&params, "lastUpdate")?;
    let changes = message_sync::room(&state, &caller.user, &rid, since).await?;
    Ok(Success::new().with(
        "result",
        json!({"updated": updated(&changes), "deleted": removed(&changes.deleted)}),
    ))
}

/// `?roomId=&since=`: the ids deleted since then, paged.
async fn deleted_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let since = date(&params, "since")?;
    let paging = Paging::from_params(&state, &params)?;
    let deleted = message_sync::deleted_in_room(&state, &caller.user, &rid, since).await?;
    let total = deleted.len() as i64;
    let items: Vec<Value> = deleted
        .iter()
        .skip(paging.offset as usize)
        .take(paging.count.map_or(usize::MAX, |c| c as usize))
        .map(|d| json!({"_id": d.id}))
        .collect();
    Ok(Success::new().page("messages", items, paging.offset, total))
}

/// `?rid=&updatedSince=`: `{threads: {update, remove}}`.
async fn sync_threads(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("rid")?;
    let since = date(&params, "updatedSince")?;
    let changes = message_sync::threads_of_room(&state, &caller.user, &rid, since).await?;
    Ok(Success::new().with(
        "threads",
        json!({"update": updated(&changes), "remove": removed(&changes.deleted)}),
    ))
}

/// `?tmid=&updatedSince=`: `{messages: {update, remove}}`.
async fn sync_thread_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let tmid = params.req_nonempty("tmid")?;
    let since = date(&params, "updatedSince")?;
    let changes = message_sync::thread_replies(&state, &caller.user, &tmid, since).await?;
    Ok(Success::new().with(
        "messages",
        json!({"update": updated(&changes), "remove": removed(&changes.deleted)}),
    ))
}

/// `{roomId, latest, oldest, inclusive?, excludePinned?, users?, limit?, ignoreThreads?}`:
/// `{_id, count}`.
async fn clean(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    if params.bool("filesOnly")?.unwrap_or(false) {
        return Err(Error::failure(
            "error-not-allowed",
            "Cleaning only files is not supported yet",
        ));
    }
    let range = CleanRange {
        oldest: date(&params, "oldest")?,
        latest: date(&params, "latest")?,
        inclusive: params.bool("inclusive")?.unwrap_or(false),
        exclude_pinned: params.bool("excludePinned")?.unwrap_or(false),
        ignore_threads: params.bool("ignoreThreads")?.unwrap_or(false),
        usernames: params.str_list("users")?.unwrap_or_default(),
        limit: params.int("limit")?,
    };
    let count = clean_history::clean(&state, &caller.user, Some(peer.ip()), &rid, range).await?;
    Ok(Success::new().with("_id", rid).with("count", count as i64))
}
