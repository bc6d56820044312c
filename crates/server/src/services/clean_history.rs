//! `rooms.cleanHistory` (`cleanRoomHistory`): deleting a range of a room's messages at once,
//! for holders of `clean-channel-history`.

use ferrochat_model::User;
use ferrochat_model::time::now_ms;
use ferrochat_store::message_sync::CleanRange;
use serde_json::json;
use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::services::{audit, events, message_access, uploads};
use crate::state::AppState;

/// Deletes the messages in `range`; returns how many went.
pub async fn clean(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    rid: &str,
    range: CleanRange,
) -> Result<usize> {
    let room = message_access::readable_room(state, caller, rid).await?;
    if !state
        .authz
        .has(
            &state.store,
            caller,
            "clean-channel-history",
            Some(&room.id),
        )
        .await?
    {
        return Err(Error::Forbidden);
    }
    if range.oldest > range.latest {
        return Err(Error::failure(
            "error-invalid-date",
            "\"oldest\" must come before \"latest\"",
        ));
    }
    let deleted = state.store.delete_history(rid, &range, now_ms()).await?;
    for message in &deleted {
        uploads::delete_files_of(state, message).await;
    }
    if !deleted.is_empty() {
        events::notify_room(
            state,
            rid,
            "deleteMessageBulk",
            json!([{
                "rid": rid,
                "excludePinned": range.exclude_pinned,
                "ignoreDiscussion": true,
                "ts": {"$gte": {"$date": range.oldest}, "$lte": {"$date": range.latest}},
                "users": range.usernames,
                "ids": deleted.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            }]),
        );
        events::room_updated(state, rid).await;
    }
    audit::record(
        state,
        caller,
        ip,
        "room.cleanHistory",
        "room",
        rid,
        None,
        Some(json!({
            "oldest": range.oldest,
            "latest": range.latest,
            "users": range.usernames,
            "excludePinned": range.exclude_pinned,
            "deleted": deleted.len(),
        })),
    )
    .await;
    Ok(deleted.len())
}
