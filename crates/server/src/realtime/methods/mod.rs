//! The DDP method table. Each method parses its positional params with [`Args`] (the same
//! type discipline as REST's `Params`) and calls the service function its REST twin calls.
//! Methods need a logged-in caller unless they are listed in [`PUBLIC`]. The same table
//! serves WebSocket clients and `POST /api/v1/method.call/:method`.

mod account;
mod args;
mod message_actions;
mod messages;
mod presence;
mod rooms;
mod settings;

pub use args::Args;

use std::net::IpAddr;

use ferrochat_model::User;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::state::AppState;

/// Methods anyone may call before logging in.
pub const PUBLIC: &[&str] = &[
    "login",
    "registerUser",
    "public-settings/get",
    "getServerInfo",
];

/// Who is calling and from where.
pub struct MethodCtx<'a> {
    pub state: &'a AppState,
    pub user: Option<User>,
    /// The hash of the token the caller logged in with (what `logout` removes).
    pub hashed_token: Option<String>,
    pub client_ip: Option<IpAddr>,
    /// The WebSocket connection the call came on (`None` through REST `method.call`).
    pub conn: Option<super::hub::ConnId>,
}

impl MethodCtx<'_> {
    /// The logged-in caller, or Meteor's "not logged in" error.
    pub fn user(&self) -> Result<&User> {
        self.user.as_ref().ok_or_else(not_logged_in)
    }
}

pub fn not_logged_in() -> Error {
    Error::failure("error-invalid-user", "Invalid user")
}

/// What a method did to the connection it was called on.
pub enum SessionChange {
    LoggedIn {
        user: Box<User>,
        hashed_token: String,
    },
    LoggedOut,
}

pub struct Outcome {
    pub result: Result<Value>,
    pub change: Option<SessionChange>,
}

impl From<Result<Value>> for Outcome {
    fn from(result: Result<Value>) -> Self {
        Outcome {
            result,
            change: None,
        }
    }
}

/// Runs a method by name.
pub async fn call(ctx: &MethodCtx<'_>, name: &str, params: &[Value]) -> Outcome {
    if ctx.user.is_none() && !PUBLIC.contains(&name) {
        return Err(not_logged_in()).into();
    }
    let args = Args::new(params);
    // Each area answers the methods it knows and passes on the rest.
    if let Some(outcome) = account::dispatch(ctx, name, &args).await {
        return outcome;
    }
    if let Some(outcome) = messages::dispatch(ctx, name, &args).await {
        return outcome;
    }
    if let Some(outcome) = message_actions::dispatch(ctx, name, &args).await {
        return outcome;
    }
    if let Some(outcome) = rooms::dispatch(ctx, name, &args).await {
        return outcome;
    }
    if let Some(outcome) = presence::dispatch(ctx, name, &args).await {
        return outcome;
    }
    if let Some(outcome) = settings::dispatch(ctx, name, &args).await {
        return outcome;
    }
    Err(Error::NotFound(format!("Method '{name}' not found"))).into()
}
