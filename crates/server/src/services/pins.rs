//! Pins (`chat.pinMessage`, `chat.unPinMessage`, `pinMessage`, `unpinMessage`): a message
//! pinned to its room gets `pinned`, `pinnedAt`, `pinnedBy`, and the room a `message_pinned`
//! system message quoting it.

use ferrochat_model::time::{iso, now_ms};
use ferrochat_model::{Message, User};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::message_access::{self, Changed};
use crate::services::messages;
use crate::state::AppState;

fn refused(method: &str, reason: &str) -> Error {
    Error::failure("error-action-not-allowed", reason)
        .with_details(json!({"method": method, "action": "Message_pinning"}))
}

async fn check(state: &AppState, user: &User, msg_id: &str, method: &str) -> Result<Message> {
    if !state.settings.bool("Message_AllowPinning") {
        return Err(refused(method, "Message pinning not allowed"));
    }
    let (message, room) = message_access::readable(state, user, msg_id).await?;
    if !state
        .authz
        .has(&state.store, user, "pin-message", Some(&room.id))
        .await?
    {
        return Err(refused(method, "Not allowed"));
    }
    if state
        .store
        .subscription(&room.id, &user.id)
        .await?
        .is_none()
    {
        return Err(Error::failure(
            "error-invalid-message",
            "Message you are pinning was not found",
        )
        .with_details(json!({"method": method, "action": "Message_pinning"})));
    }
    if message.t.is_some() {
        return Err(Error::failure(
            "error-invalid-message",
            "System messages cannot be pinned",
        ));
    }
    Ok(message)
}

/// Pins a message; returns the `message_pinned` system message (or, when it was pinned
/// already, the message itself, and nothing new is posted).
pub async fn pin(state: &AppState, user: &User, msg_id: &str) -> Result<Message> {
    check(state, user, msg_id, "pinMessage").await?;
    let now = now_ms();
    let by = json!({"_id": user.id, "username": user.username});
    let changed = state
        .store
        .modify_message(msg_id, |message| {
            if message.extra.get("pinned") == Some(&Value::Bool(true)) {
                return Ok::<_, Error>(None);
            }
            message.extra.insert("pinned".into(), Value::Bool(true));
            message.extra.insert("pinnedAt".into(), json!(now));
            message.extra.insert("pinnedBy".into(), by.clone());
            message.updated_at = now;
            Ok(Some(()))
        })
        .await?;
    let pinned = match message_access::settle(state, changed).await? {
        Changed::Yes(message) => message,
        Changed::Already(message) => return Ok(message),
    };
    let Some(room) = state.store.room_by_id(&pinned.rid).await? else {
        return Err(message_access::invalid_message());
    };
    let mut quote = json!({
        "text": pinned.msg,
        "author_name": pinned.user.username,
        "author_icon": format!("/avatar/{}", pinned.user.username),
        "ts": iso(pinned.ts),
    });
    if let Some(attachments) = pinned.extra.get("attachments") {
        quote["attachments"] = attachments.clone();
    }
    messages::system_with(
        state,
        &room,
        "message_pinned",
        "",
        user,
        &[("attachments", json!([quote]))],
    )
    .await
}

pub async fn unpin(state: &AppState, user: &User, msg_id: &str) -> Result<()> {
    check(state, user, msg_id, "unpinMessage").await?;
    let now = now_ms();
    let by = json!({"_id": user.id, "username": user.username});
    let changed = state
        .store
        .modify_message(msg_id, |message| {
            if message.extra.get("pinned") != Some(&Value::Bool(true)) {
                return Ok::<_, Error>(None);
            }
            message.extra.insert("pinned".into(), Value::Bool(false));
            message.extra.remove("pinnedAt");
            message.extra.insert("pinnedBy".into(), by.clone());
            message.updated_at = now;
            Ok(Some(()))
        })
        .await?;
    message_access::settle(state, changed).await?;
    Ok(())
}
