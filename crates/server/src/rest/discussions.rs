//! `rooms.createDiscussion`, `rooms.getDiscussions`, `chat.getDiscussions`.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use serde_json::Value;

use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::discussions::{self, NewDiscussion};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rooms.createDiscussion", post(create))
        .route("/api/v1/rooms.getDiscussions", get(rooms_list))
        .route("/api/v1/chat.getDiscussions", get(messages_list))
}

/// `{prid, t_name, pmid?, users?, reply?, encrypted?}`: `{discussion}`.
async fn create(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let new = NewDiscussion {
        prid: params.req_nonempty("prid")?,
        name: params.req_nonempty("t_name")?,
        pmid: params.str_nonempty("pmid")?,
        usernames: params.str_list("users")?.unwrap_or_default(),
        reply: params.str("reply")?,
        encrypted: params.bool("encrypted")?.unwrap_or(false),
    };
    let room = discussions::create(&state, &caller.user, new).await?;
    Ok(Success::new().with("discussion", discussions::to_wire(&room, DateStyle::Iso)))
}

/// `?roomId=&text=`: the discussion rooms.
async fn rooms_list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let text = params.str("text")?;
    let paging = Paging::from_params(&state, &params)?;
    let (found, total) =
        discussions::of_room(&state, &caller.user, &rid, text.as_deref(), paging.page()).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|r| paging.project(r.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().page("discussions", items, paging.offset, total))
}

/// `?roomId=&text=`: the messages announcing them.
async fn messages_list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let rid = params.req_nonempty("roomId")?;
    let text = params.str("text")?;
    let paging = Paging::from_params(&state, &params)?;
    let (found, total) =
        discussions::messages_of_room(&state, &caller.user, &rid, text.as_deref(), paging.page())
            .await?;
    let items: Vec<Value> = found
        .iter()
        .map(|m| paging.project(m.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().page("messages", items, paging.offset, total))
}
