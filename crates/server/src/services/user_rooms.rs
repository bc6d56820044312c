//! The `rooms.*` endpoints that work on any room type from the caller's side: finding a
//! room by id or name, syncing the caller's rooms, room info and leaving.

use ferrochat_model::{DateStyle, Room, RoomType, User};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::rooms;
use crate::state::AppState;

/// `findRoomByIdOrName` of `rooms.ts`: by `roomId`, else by `roomName`; archived rooms are
/// refused unless `allow_archived`.
pub async fn find_by_id_or_name(
    state: &AppState,
    room_id: Option<&str>,
    room_name: Option<&str>,
    allow_archived: bool,
) -> Result<Room> {
    let room = match (
        room_id.filter(|s| !s.is_empty()),
        room_name.filter(|s| !s.is_empty()),
    ) {
        (Some(id), _) => state.store.room_by_id(id).await?,
        (None, Some(name)) => state.store.room_by_name(name).await?,
        (None, None) => {
            return Err(Error::failure(
                "error-roomid-param-not-provided",
                "The parameter \"roomId\" or \"roomName\" is required",
            ));
        }
    };
    let Some(room) = room else {
        return Err(Error::failure(
            "error-room-not-found",
            "The required \"roomId\" or \"roomName\" param provided does not match any channel",
        ));
    };
    if !allow_archived && room.archived {
        return Err(Error::failure(
            "error-room-archived",
            format!(
                "The channel, {}, is archived",
                room.name.as_deref().unwrap_or("")
            ),
        ));
    }
    Ok(room)
}

/// `rooms.get`: the caller's rooms changed after `since` (all without it), and the rooms
/// the caller lost since then (`{_id, _deletedAt}`): left, removed from, or deleted.
pub async fn sync(
    state: &AppState,
    user: &User,
    since: Option<i64>,
) -> Result<(Vec<Room>, Vec<Value>)> {
    let update = state.store.rooms_updated_for_user(&user.id, since).await?;
    let remove = match since {
        None => Vec::new(),
        Some(since) => state
            .store
            .removed_room_ids(&user.id, since)
            .await?
            .into_iter()
            // A room the user left and joined again is not removed.
            .filter(|(rid, _)| !update.iter().any(|r| &r.id == rid))
            .map(|(rid, deleted_at)| {
                json!({"_id": rid, "_deletedAt": DateStyle::Iso.date(deleted_at)})
            })
            .collect(),
    };
    Ok((update, remove))
}

/// `rooms.info`: the room, if the caller may see it.
pub async fn info(state: &AppState, user: &User, room: &Room) -> Result<()> {
    if !rooms::can_read(state, room, user).await? {
        return Err(Error::plain_with_type("not-allowed", "Not Allowed"));
    }
    Ok(())
}

/// `leaveRoom`: channels and groups only, with `leave-c` / `leave-p`; the last owner must
/// hand over first.
pub async fn leave(state: &AppState, user: &User, room: &Room) -> Result<()> {
    let permission = match room.t {
        RoomType::Channel => Some("leave-c"),
        RoomType::Group => Some("leave-p"),
        RoomType::Direct => None,
    };
    let allowed = match permission {
        Some(permission) => state.authz.has_global(user, permission),
        None => false,
    };
    if !allowed {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "leaveRoom"})));
    }
    let Some(sub) = state.store.subscription(&room.id, &user.id).await? else {
        return Err(
            Error::failure("error-user-not-in-room", "You are not in this room")
                .with_details(json!({"method": "leaveRoom"})),
        );
    };
    if sub.roles.iter().any(|r| r == "owner") {
        let owners = state
            .store
            .subscriptions_with_role(&room.id, "owner")
            .await?;
        if owners.len() <= 1 {
            return Err(Error::failure(
                "error-you-are-last-owner",
                "You are the last owner. Please set new owner before leaving the room.",
            )
            .with_details(json!({"method": "leaveRoom"})));
        }
    }
    rooms::remove_member(state, room, user, None).await?;
    Ok(())
}

/// The room `key` names (its id, or with `by_name` also its name) when the caller may read
/// it (`canAccessRoom`); `None` when there is no such room or the caller may not see it, so
/// the existence of a private room does not leak. `getRoomIdByNameOrId`, `getRoomNameById`,
/// `getRoomRoles`.
pub async fn find_readable(
    state: &AppState,
    user: &User,
    key: &str,
    by_name: bool,
) -> Result<Option<Room>> {
    if key.is_empty() {
        return Ok(None);
    }
    let room = match state.store.room_by_id(key).await? {
        Some(room) => Some(room),
        None if by_name => state.store.room_by_name(key).await?,
        None => None,
    };
    match room {
        Some(room) if rooms::can_read(state, &room, user).await? => Ok(Some(room)),
        _ => Ok(None),
    }
}

/// The rooms part of `spotlight`: public channels (with `view-c-room` and
/// `view-outside-room`) and the caller's own private groups whose name or display name
/// contains `text`, by name, at most five.
pub async fn spotlight_rooms(state: &AppState, user: &User, text: &str) -> Result<Vec<Room>> {
    const LIMIT: i64 = 5;
    let needle: String = text
        .trim()
        .chars()
        .flat_map(|c| {
            let escape = (!c.is_alphanumeric()).then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect();
    let fields = ferrochat_store::rooms::FIELDS;
    let filter = ferrochat_store::Filter::from_mongo(
        &json!({"$or": [
            {"name": {"$regex": needle, "$options": "i"}},
            {"fname": {"$regex": needle, "$options": "i"}},
        ]}),
        fields,
    )?;
    let sort = ferrochat_store::Sort::from_mongo(&json!({"name": 1}), fields)?;
    let page = ferrochat_store::Page {
        offset: 0,
        count: Some(LIMIT),
    };
    let mut found = Vec::new();
    if state
        .authz
        .has(&state.store, user, "view-c-room", None)
        .await?
        && state
            .authz
            .has(&state.store, user, "view-outside-room", None)
            .await?
    {
        found.extend(
            state
                .store
                .list_rooms(&[RoomType::Channel], &filter, &sort, page)
                .await?
                .0,
        );
    }
    found.extend(
        state
            .store
            .rooms_of_user(&user.id, &[RoomType::Group], &filter, &sort, page)
            .await?
            .0,
    );
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found.truncate(LIMIT as usize);
    // Rocket.Chat's `fetchRooms`: with last messages stored, only previewers see them.
    if state.settings.bool("Store_Last_Message")
        && !state
            .authz
            .has(&state.store, user, "preview-c-room", None)
            .await?
    {
        for room in &mut found {
            room.last_message = None;
        }
    }
    Ok(found)
}
