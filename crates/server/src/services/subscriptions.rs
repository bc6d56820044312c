//! A member's own state in a room: read position and unread counters, sidebar visibility
//! (open / hidden), favourite; and the `updatedSince` sync of memberships.

use ferrochat_model::time::{now_ms, parse_iso};
use ferrochat_model::{DateStyle, Room, Subscription, User};
use ferrochat_store::subscriptions::SubscriptionPatch;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::{events, messages, rooms};
use crate::state::AppState;

/// Parses a date as JavaScript's `Date.parse` reads what clients send: RFC 3339 / ISO 8601
/// with an offset, or without one (taken as UTC), or a bare date.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(ms) = parse_iso(text) {
        return Some(ms);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// What changed in the user's memberships: all of them without `since`; with it, those
/// updated after it and the ones removed since (`{_id, _deletedAt}` from the trash).
pub async fn sync(
    state: &AppState,
    user: &User,
    since: Option<i64>,
) -> Result<(Vec<Subscription>, Vec<Value>)> {
    let update = state.store.subscriptions_of_user(&user.id, since).await?;
    let remove = match since {
        None => Vec::new(),
        Some(since) => state
            .store
            .removed_subscriptions(&user.id, since)
            .await?
            .into_iter()
            .map(|(id, rid, deleted_at)| {
                json!({"_id": id, "rid": rid, "_deletedAt": DateStyle::Iso.date(deleted_at)})
            })
            .collect(),
    };
    Ok((update, remove))
}

pub async fn get_one(state: &AppState, user: &User, rid: &str) -> Result<Option<Subscription>> {
    Ok(state.store.subscription(rid, &user.id).await?)
}

fn invalid_subscription() -> Error {
    Error::plain("error-invalid-subscription")
}

/// `readMessages`: everything in the room is read; the room shows in the sidebar again.
/// With `threads`, the room's unread threads are cleared too (`readThreads`).
pub async fn read(state: &AppState, user: &User, rid: &str, threads: bool) -> Result<()> {
    if state.store.room_by_id(rid).await?.is_none() {
        return Err(invalid_subscription());
    }
    let now = now_ms();
    if !state.store.mark_read(rid, &user.id, now).await? {
        return Err(invalid_subscription());
    }
    if threads {
        state.store.read_all_threads(rid, &user.id, now).await?;
    }
    events::messages_read(state, rid, &user.id).await;
    Ok(())
}

/// `unreadMessages`: marks the room unread from its last message (`room_id`) or from a
/// given message of someone else (`first_unread`).
pub async fn unread(
    state: &AppState,
    user: &User,
    first_unread: Option<&str>,
    room_id: Option<&str>,
) -> Result<()> {
    let not_allowed = || {
        Error::failure("error-action-not-allowed", "Not allowed")
            .with_details(json!({"method": "unreadMessages", "action": "Unread_messages"}))
    };
    if let Some(rid) = room_id.filter(|r| !r.is_empty()) {
        let Some(last) = messages::last_in_room(state, rid).await? else {
            return Err(Error::failure(
                "error-no-message-for-unread",
                "There are no messages to mark unread",
            )
            .with_details(json!({"method": "unreadMessages", "action": "Unread_messages"})));
        };
        state
            .store
            .mark_unread_since(&last.rid, &user.id, last.ts, now_ms())
            .await?;
        events::subscription_updated(state, &last.rid, &user.id).await;
        return Ok(());
    }
    let Some(mid) = first_unread.filter(|m| !m.is_empty()) else {
        return Err(not_allowed());
    };
    let message = match state.store.message_by_id(mid).await? {
        Some(message) if message.user.id != user.id => message,
        _ => return Err(not_allowed()),
    };
    let last_seen = state
        .store
        .subscription(&message.rid, &user.id)
        .await?
        .and_then(|s| s.ls);
    let Some(last_seen) = last_seen else {
        return Err(
            Error::failure("error-subscription-not-found", "Subscription not found")
                .with_details(json!({"method": "unreadMessages", "action": "Unread_messages"})),
        );
    };
    if message.ts >= last_seen {
        // Already unread from there.
        return Ok(());
    }
    state
        .store
        .mark_unread_since(&message.rid, &user.id, message.ts, now_ms())
        .await?;
    events::subscription_updated(state, &message.rid, &user.id).await;
    Ok(())
}

/// `toggleFavorite`.
pub async fn favorite(state: &AppState, user: &User, room: &Room, favorite: bool) -> Result<()> {
    let patch = SubscriptionPatch {
        favorite: Some(favorite),
        ..SubscriptionPatch::default()
    };
    if !state
        .store
        .update_subscription(&room.id, &user.id, &patch, now_ms())
        .await?
    {
        return Err(Error::failure(
            "error-invalid-subscription",
            "You must be part of a room to favorite it",
        )
        .with_details(json!({"method": "toggleFavorite"})));
    }
    events::subscription_updated(state, &room.id, &user.id).await;
    Ok(())
}

/// `rooms.hide` (`hideRoom`): out of the sidebar until something happens in the room.
pub async fn hide(state: &AppState, user: &User, rid: &str) -> Result<()> {
    let readable = match state.store.room_by_id(rid).await? {
        Some(room) => rooms::can_read(state, &room, user).await?,
        None => false,
    };
    if !readable {
        return Err(Error::UnauthorizedWith("unauthorized".into()));
    }
    match state.store.subscription(rid, &user.id).await? {
        Some(sub) if sub.open || sub.alert => {
            let patch = SubscriptionPatch {
                open: Some(false),
                alert: Some(false),
                ..SubscriptionPatch::default()
            };
            state
                .store
                .update_subscription(rid, &user.id, &patch, now_ms())
                .await?;
            events::subscription_updated(state, rid, &user.id).await;
            Ok(())
        }
        _ => Err(Error::plain("error-room-already-hidden")),
    }
}

/// `rooms.open` (`openRoom`): back into the sidebar.
pub async fn open(state: &AppState, user: &User, rid: &str) -> Result<()> {
    if state.store.room_by_id(rid).await?.is_none() {
        return Err(Error::failure("error-invalid-room", "Invalid room")
            .with_details(json!({"method": "openRoom"})));
    }
    if let Some(sub) = state.store.subscription(rid, &user.id).await?
        && !sub.open
    {
        let patch = SubscriptionPatch {
            open: Some(true),
            ..SubscriptionPatch::default()
        };
        state
            .store
            .update_subscription(rid, &user.id, &patch, now_ms())
            .await?;
        events::subscription_updated(state, rid, &user.id).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_like_javascript() {
        assert_eq!(
            parse_date("2023-10-05T20:30:51.052Z"),
            Some(1_696_537_851_052)
        );
        assert_eq!(
            parse_date("2023-10-05T20:30:51.052"),
            Some(1_696_537_851_052)
        );
        assert_eq!(parse_date("2023-10-05"), Some(1_696_464_000_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }
}
