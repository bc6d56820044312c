//! Muting users in a room (`muteUserInRoom` / `unmuteUserInRoom`, `rooms.muteUser` /
//! `rooms.unmuteUser`): a muted member may read but not post (enforced in
//! `messages::check_can_post`). Needs `mute-user` in the room (owners, moderators, admins).

use ferrochat_model::time::now_ms;
use ferrochat_model::{Room, RoomType, User};
use ferrochat_store::rooms::RoomPatch;
use serde_json::json;

use crate::error::{Error, Result};
use crate::services::{events, messages, rooms};
use crate::state::AppState;

/// Mutes (`mute: true`) or unmutes a member of a channel or group.
pub async fn set_muted(
    state: &AppState,
    caller: &User,
    room: &Room,
    target: &User,
    mute: bool,
) -> Result<()> {
    let method = if mute {
        "muteUserInRoom"
    } else {
        "unmuteUserInRoom"
    };
    if !rooms::can_read(state, room, caller).await? {
        return Err(Error::failure("error-invalid-room", "Invalid room")
            .with_details(json!({"method": method})));
    }
    if !state
        .authz
        .has(&state.store, caller, "mute-user", Some(&room.id))
        .await?
    {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": method})));
    }
    if room.t == RoomType::Direct {
        return Err(Error::failure(
            "error-invalid-room-type",
            "Cannot mute users in a direct message",
        )
        .with_details(json!({"method": method})));
    }
    if state
        .store
        .subscription(&room.id, &target.id)
        .await?
        .is_none()
    {
        return Err(
            Error::failure("error-user-not-in-room", "User is not in this room")
                .with_details(json!({"method": method})),
        );
    }
    let already = room.muted.iter().any(|u| u == &target.username);
    if already == mute {
        return Ok(());
    }
    let mut muted = room.muted.clone();
    if mute {
        muted.push(target.username.clone());
    } else {
        muted.retain(|u| u != &target.username);
    }
    let patch = RoomPatch {
        muted: Some(muted),
        ..RoomPatch::default()
    };
    state.store.update_room(&room.id, &patch, now_ms()).await?;
    let t = if mute { "user-muted" } else { "user-unmuted" };
    messages::system(state, room, t, &target.username, caller).await?;
    events::room_updated(state, &room.id).await;
    Ok(())
}
