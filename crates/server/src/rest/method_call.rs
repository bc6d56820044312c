//! DDP over REST: `POST /api/v1/method.call/:method` (logged in) and
//! `POST /api/v1/method.callAnon/:method`. The body's `message` is the EJSON text of a DDP
//! `method` frame; the reply's `message` is the EJSON text of its `result` frame. A method
//! error is still HTTP 200, with the error inside, as in Rocket.Chat.

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use std::net::SocketAddr;

use crate::error::Error;
use crate::gateway::{Auth, MaybeAuth};
use crate::params::Params;
use crate::realtime::frames;
use crate::realtime::methods::{self, MethodCtx};
use crate::rest::{Reply, Success};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/method.call/{*method}", post(call))
        .route("/api/v1/method.callAnon/{*method}", post(call_anon))
}

async fn call(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(method): Path<String>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    run(&state, peer, &method, Some(caller), &params).await
}

async fn call_anon(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(method): Path<String>,
    MaybeAuth(caller): MaybeAuth,
    params: Params,
) -> Reply {
    run(&state, peer, &method, caller, &params).await
}

async fn run(
    state: &AppState,
    peer: SocketAddr,
    method: &str,
    caller: Option<crate::gateway::Caller>,
    params: &Params,
) -> Reply {
    let text = params.req_str("message")?;
    let frame: Value = serde_json::from_str(&text).map_err(|e| {
        Error::failure(
            "error-invalid-message",
            format!("message is not valid EJSON: {e}"),
        )
    })?;
    let id = match frame.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "1".to_owned(),
    };
    let call_params: Vec<Value> = match frame.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(Error::failure(
                "error-invalid-message",
                "params must be an array",
            ));
        }
    };
    if let Some(Value::String(named)) = frame.get("method")
        && named != method
    {
        return Err(Error::failure(
            "error-invalid-message",
            "The method in the URL and in the message differ",
        ));
    }
    let ctx = MethodCtx {
        state,
        hashed_token: caller.as_ref().map(|c| c.hashed_token.clone()),
        user: caller.map(|c| c.user),
        client_ip: Some(peer.ip()),
        conn: None,
    };
    let outcome = methods::call(&ctx, method, &call_params).await;
    let reply = match &outcome.result {
        Ok(result) => json!({"msg": "result", "id": id, "result": result}),
        Err(err) => json!({"msg": "result", "id": id, "error": frames::ddp_error(err)}),
    };
    Ok(Success::new().with("message", reply.to_string()))
}
