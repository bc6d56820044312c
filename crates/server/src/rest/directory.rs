//! `GET /api/v1/directory`: channels or people by name (`services::directory`).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;

use crate::gateway::{Auth, Caller};
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::directory::{self, Listing};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/directory", get(list))
}

async fn list(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    // Before 7.0 clients sent `query={"text": ..., "type": ...}`; the parameters win.
    let legacy = params.json("query")?.unwrap_or(Value::Null);
    let text = match params.str("text")? {
        Some(text) => text,
        None => legacy["text"].as_str().unwrap_or_default().to_owned(),
    };
    let kind = match params.str("type")? {
        Some(kind) => Some(kind),
        None => legacy["type"].as_str().map(str::to_owned),
    };
    let listing = Listing::parse(kind.as_deref())?;
    let sort = match listing {
        Listing::Channels => paging.sort(ferrochat_store::rooms::FIELDS)?,
        Listing::Users => paging.sort(ferrochat_store::users::PUBLIC_FIELDS)?,
    };
    let (items, total) =
        directory::browse(&state, &caller, listing, &text, sort, paging.page()).await?;
    Ok(Success::new().page("result", items, paging.offset, total))
}
