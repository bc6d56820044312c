//! `chat.*` routes that act on existing messages: reactions, stars, pins, threads, and the
//! lists of pinned, starred and mentioned messages.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::{DateStyle, Message};
use serde_json::Value;

use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::message_lists::{self, Kind};
use crate::services::reactions::{self, Want};
use crate::services::threads::{self, ThreadFilter};
use crate::services::{pins, search as message_search, stars};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chat.react", post(react))
        .route("/api/v1/chat.starMessage", post(star::<true>))
        .route("/api/v1/chat.unStarMessage", post(star::<false>))
        .route("/api/v1/chat.pinMessage", post(pin))
        .route("/api/v1/chat.unPinMessage", post(unpin))
        .route("/api/v1/chat.getPinnedMessages", get(pinned))
        .route("/api/v1/chat.getStarredMessages", get(starred))
        .route("/api/v1/chat.getMentionedMessages", get(mentioned))
        .route("/api/v1/chat.getThreadsList", get(threads_list))
        .route("/api/v1/chat.getThreadMessages", get(thread_messages))
        .route("/api/v1/chat.followMessage", post(follow::<true>))
        .route("/api/v1/chat.unfollowMessage", post(follow::<false>))
        .route("/api/v1/chat.search", get(search))
}

/// `{messageId, emoji | reaction, shouldReact?}`.
async fn react(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let msg_id = params.req_nonempty("messageId")?;
    let emoji = match params.str_nonempty("emoji")? {
        Some(emoji) => emoji,
        None => params.req_nonempty("reaction")?,
    };
    let want = Want::from_should_react(params.bool("shouldReact")?);
    reactions::set_reaction(&state, &caller.user, &msg_id, &emoji, want).await?;
    Ok(Success::new())
}

async fn star<const STARRED: bool>(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let msg_id = params.req_nonempty("messageId")?;
    stars::set_star(&state, &caller.user, &msg_id, STARRED).await?;
    Ok(Success::new())
}

async fn pin(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let msg_id = params.req_nonempty("messageId")?;
    let message = pins::pin(&state, &caller.user, &msg_id).await?;
    Ok(Success::new().with("message", message.to_wire(DateStyle::Iso)))
}

async fn unpin(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let msg_id = params.req_nonempty("messageId")?;
    pins::unpin(&state, &caller.user, &msg_id).await?;
    Ok(Success::new())
}

fn page_of(paging: &Paging, key: &str, messages: &[Message], total: i64) -> Success {
    let items: Vec<Value> = messages
        .iter()
        .map(|m| paging.project(m.to_wire(DateStyle::Iso)))
        .collect();
    Success::new().page(key, items, paging.offset, total)
}

async fn listed(state: AppState, caller: Auth, params: Params, kind: Kind) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let paging = Paging::from_params(&state, &params)?;
    let (messages, total) =
        message_lists::list(&state, &caller.0.user, &rid, kind, paging.page()).await?;
    Ok(page_of(&paging, "messages", &messages, total))
}

async fn pinned(State(state): State<AppState>, caller: Auth, params: Params) -> Reply {
    listed(state, caller, params, Kind::Pinned).await
}

async fn starred(State(state): State<AppState>, caller: Auth, params: Params) -> Reply {
    listed(state, caller, params, Kind::Starred).await
}

async fn mentioned(State(state): State<AppState>, caller: Auth, params: Params) -> Reply {
    listed(state, caller, params, Kind::Mentioned).await
}

/// `?rid=&type=all|following|unread&text=`.
async fn threads_list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("rid")?;
    let filter = ThreadFilter::parse(params.str("type")?.as_deref())?;
    let text = params.str("text")?;
    let paging = Paging::from_params(&state, &params)?;
    let (messages, total) = threads::list(
        &state,
        &caller.user,
        &rid,
        filter,
        text.as_deref(),
        paging.page(),
    )
    .await?;
    Ok(page_of(&paging, "threads", &messages, total))
}

/// `?tmid=`: the replies, oldest first.
async fn thread_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let tmid = params.req_nonempty("tmid")?;
    let paging = Paging::from_params(&state, &params)?;
    let (messages, total) = threads::replies(&state, &caller.user, &tmid, paging.page()).await?;
    Ok(page_of(&paging, "messages", &messages, total))
}

/// `{mid}`.
async fn follow<const FOLLOW: bool>(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let mid = params.req_nonempty("mid")?;
    threads::follow(&state, &caller.user, &mid, FOLLOW).await?;
    Ok(Success::new())
}

/// `?roomId=&searchText=&count=&offset=`: `{messages}`, newest first.
async fn search(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.str_nonempty("roomId")?;
    let text = params.req_str("searchText")?;
    let paging = Paging::from_params(&state, &params)?;
    let messages =
        message_search::search(&state, &caller.user, rid.as_deref(), &text, paging.page()).await?;
    let items: Vec<Value> = messages
        .iter()
        .map(|m| paging.project(m.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().with("messages", items))
}
