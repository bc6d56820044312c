//! `commands.list`, `commands.get`, `commands.run`.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use serde_json::{Value, json};

use crate::error::Error;
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::slash_commands::{self, CommandDef};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/commands.list", get(list))
        .route("/api/v1/commands.get", get(one))
        .route("/api/v1/commands.run", post(run))
}

fn to_wire(def: &CommandDef) -> Value {
    let mut doc = json!({
        "command": def.command,
        "params": def.params,
        "description": def.description,
        "clientOnly": false,
        "providesPreview": false,
    });
    if !def.permission.is_empty() {
        doc["permission"] = json!(def.permission);
    }
    doc
}

async fn list(State(state): State<AppState>, Auth(_caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let all = slash_commands::COMMANDS;
    let items: Vec<Value> = all
        .iter()
        .skip(paging.offset as usize)
        .take(paging.count.map_or(usize::MAX, |c| c as usize))
        .map(|c| paging.project(to_wire(c)))
        .collect();
    Ok(Success::new().page("commands", items, paging.offset, all.len() as i64))
}

async fn one(Auth(_caller): Auth, params: Params) -> Reply {
    let name = params.req_nonempty("command")?;
    let def = slash_commands::find(&name.to_lowercase())
        .ok_or_else(|| Error::plain("Command does not exist"))?;
    Ok(Success::new().with("command", to_wire(def)))
}

/// `{command, params?, roomId, tmid?}`; answers the message the command sent, if any.
async fn run(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let command = params.req_nonempty("command")?;
    let rid = params.req_nonempty("roomId")?;
    let args = params.str("params")?.unwrap_or_default();
    let tmid = params.str_nonempty("tmid")?;
    let sent =
        slash_commands::run(&state, &caller.user, &rid, tmid.as_deref(), &command, &args).await?;
    let mut reply = Success::new();
    if let Some(message) = sent {
        reply = reply.with("result", message.to_wire(DateStyle::Iso));
    }
    Ok(reply)
}
