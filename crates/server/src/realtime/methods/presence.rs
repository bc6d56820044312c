//! Presence methods (`UserPresence:*`, `setUserStatus`) and the typing indicators that
//! clients send as a `stream-notify-room` method call.

use serde_json::{Map, Value, json};

use super::{Args, MethodCtx, Outcome};
use crate::error::{Error, Result};
use crate::realtime::presence::{Choice, ConnStatus, STATUSES};
use crate::realtime::streams;
use crate::services::{events, users};

pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    Some(
        match name {
            "UserPresence:setDefaultStatus" => set_default_status(ctx, args).await,
            "UserPresence:online" => connection_status(ctx, ConnStatus::Online).await,
            "UserPresence:away" => connection_status(ctx, ConnStatus::Away).await,
            "setUserStatus" => set_user_status(ctx, args).await,
            streams::NOTIFY_ROOM => notify_room(ctx, args).await,
            _ => return None,
        }
        .into(),
    )
}

fn invalid_status(method: &str) -> Error {
    Error::failure(
        "error-invalid-status",
        "Valid status types include online, away, offline, and busy.",
    )
    .with_details(json!({"method": method}))
}

/// Checks a status a user chooses; `offline` (invisible) only when the setting allows it.
fn check_status(ctx: &MethodCtx<'_>, status: &str, method: &str) -> Result<()> {
    if !STATUSES.contains(&status) {
        return Err(invalid_status(method));
    }
    if status == "offline"
        && !ctx
            .state
            .settings
            .bool("Accounts_AllowInvisibleStatusOption")
    {
        return Err(
            Error::failure("error-status-not-allowed", "Invisible status is disabled")
                .with_details(json!({"method": method})),
        );
    }
    Ok(())
}

/// `UserPresence:setDefaultStatus(status)`: true when the user's status changed.
async fn set_default_status(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let status = args.str(0)?;
    check_status(ctx, status, "UserPresence:setDefaultStatus")?;
    let changed = ctx
        .state
        .presence
        .choose(
            &user.id,
            Choice {
                status_default: Some(status.to_owned()),
                ..Choice::default()
            },
        )
        .await?;
    Ok(Value::Bool(changed))
}

/// `UserPresence:online` / `UserPresence:away`: this connection's status (the client's idle
/// detection). True when it changed.
async fn connection_status(ctx: &MethodCtx<'_>, status: ConnStatus) -> Result<Value> {
    let user = ctx.user()?;
    let Some(conn) = ctx.conn else {
        // Only a WebSocket connection has a presence.
        return Ok(Value::Bool(false));
    };
    let changed = ctx
        .state
        .presence
        .set_connection_status(&user.id, conn, status)
        .await;
    Ok(Value::Bool(changed))
}

/// `setUserStatus(status, statusText)`: either may be empty or missing.
async fn set_user_status(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let status = args.opt_str(0)?.filter(|s| !s.is_empty());
    let text = args.opt_str(1)?;
    if let Some(status) = status {
        check_status(ctx, status, "setUserStatus")?;
    }
    if text.is_some()
        && !ctx
            .state
            .settings
            .bool("Accounts_AllowUserStatusMessageChange")
    {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "setUserStatus"})));
    }
    if status.is_none() && text.is_none() {
        return Ok(Value::Null);
    }
    ctx.state
        .presence
        .choose(
            &user.id,
            Choice {
                status_default: status.map(str::to_owned),
                status_text: text.map(users::clean_status_text),
                ..Choice::default()
            },
        )
        .await?;
    Ok(Value::Null)
}

/// What a client may say through `stream-notify-room`.
const ACTIVITIES: &[&str] = &["user-typing", "user-recording", "user-uploading"];

/// `stream-notify-room` called as a method: typing indicators. `["<rid>/user-activity",
/// username, activities, {tmid?}]` or the legacy `["<rid>/typing", username, bool]`. Only
/// a member of the room may send, only as themselves; the event goes to the room's
/// `stream-notify-room` subscribers.
async fn notify_room(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let event = args.str(0)?;
    let username = args.str(1)?;
    let Some((rid, kind)) = event.split_once('/') else {
        return Err(streams::not_allowed());
    };
    let payload = match kind {
        "user-activity" => {
            let activities = args.str_list(2)?;
            if activities.iter().any(|a| !ACTIVITIES.contains(&a.as_str())) {
                return Err(streams::not_allowed());
            }
            let mut extra = Map::new();
            if let Some(Value::String(tmid)) = args.opt_object(3)?.and_then(|e| e.get("tmid")) {
                extra.insert("tmid".into(), Value::String(tmid.clone()));
            }
            json!([username, activities, extra])
        }
        "typing" => json!([username, args.opt_bool(2)?.unwrap_or(false)]),
        _ => return Err(streams::not_allowed()),
    };
    if username != user.username || ctx.state.store.subscription(rid, &user.id).await?.is_none() {
        return Err(streams::not_allowed());
    }
    events::notify_room(ctx.state, rid, kind, payload);
    Ok(Value::Null)
}
