//! Realtime notifications of what the services changed, published on the bus in the stream
//! frames Rocket.Chat clients expect (API.md b.3). Publishing never fails a request: the
//! change is already stored, and clients that miss an event catch up through their sync
//! calls.

use ferrochat_bus::Event;
use ferrochat_model::{DateStyle, Message, Room, RoomType, Subscription, User};
use serde_json::{Value, json};

use crate::realtime::streams;
use crate::state::AppState;

fn publish(state: &AppState, event: Event) {
    state.bus.publish(event);
}

/// `stream-notify-user` `<uid>/<event>`.
pub fn notify_user(state: &AppState, user_id: &str, event: &str, args: Value) {
    publish(
        state,
        Event::new(streams::NOTIFY_USER, format!("{user_id}/{event}"), args),
    );
}

/// `stream-notify-room` `<rid>/<event>`.
pub fn notify_room(state: &AppState, rid: &str, event: &str, args: Value) {
    publish(
        state,
        Event::new(streams::NOTIFY_ROOM, format!("{rid}/{event}"), args),
    );
}

/// `stream-notify-logged` `<event>` (every logged-in client).
pub fn notify_logged(state: &AppState, event: &str, args: Value) {
    publish(state, Event::new(streams::NOTIFY_LOGGED, event, args));
}

/// `stream-notify-all` `<event>` (every client).
pub fn notify_all(state: &AppState, event: &str, args: Value) {
    publish(state, Event::new(streams::NOTIFY_ALL, event, args));
}

/// `<uid>/subscriptions-changed` with `inserted` / `updated` / `removed`.
pub fn subscription_changed(state: &AppState, kind: &str, sub: &Subscription) {
    notify_user(
        state,
        &sub.user.id,
        "subscriptions-changed",
        json!([kind, sub.to_wire(DateStyle::EJson)]),
    );
}

/// `<uid>/rooms-changed` with `inserted` / `updated` / `removed`.
pub fn room_changed_for(state: &AppState, kind: &str, room: &Room, user_id: &str) {
    notify_user(
        state,
        user_id,
        "rooms-changed",
        json!([kind, room.to_wire(DateStyle::EJson)]),
    );
}

/// Re-reads a room and its memberships and tells every member about both (after a change
/// to the room's settings or counters).
pub async fn room_updated(state: &AppState, rid: &str) {
    let (room, subs) = match (
        state.store.room_by_id(rid).await,
        state.store.subscriptions_of_room(rid).await,
    ) {
        (Ok(Some(room)), Ok(subs)) => (room, subs),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, rid, "cannot load the room to announce its change");
            return;
        }
        _ => return,
    };
    for sub in &subs {
        room_changed_for(state, "updated", &room, &sub.user.id);
        subscription_changed(state, "updated", sub);
    }
}

/// Announces a membership that began (`inserted`) for the member.
pub async fn member_added(state: &AppState, rid: &str, user_id: &str) {
    if let (Ok(Some(room)), Ok(Some(sub))) = (
        state.store.room_by_id(rid).await,
        state.store.subscription(rid, user_id).await,
    ) {
        subscription_changed(state, "inserted", &sub);
        room_changed_for(state, "inserted", &room, user_id);
    }
}

/// Announces a membership that ended, to the former member.
pub fn member_removed(state: &AppState, room: &Room, user_id: &str) {
    notify_user(
        state,
        user_id,
        "subscriptions-changed",
        json!(["removed", {"_id": Value::Null, "rid": room.id, "u": {"_id": user_id}}]),
    );
    room_changed_for(state, "removed", room, user_id);
}

fn my_messages_args(message: &Value, room: &Room) -> Value {
    let mut info = json!({"roomParticipant": true, "roomType": room.t.code()});
    if let Some(name) = &room.name {
        info["roomName"] = Value::String(name.clone());
    }
    json!([message, info])
}

/// A new or edited message: `stream-room-messages` for the room and each member's
/// `__my_messages__`, then the members' rooms and subscriptions (unread counters moved).
pub async fn message_saved(state: &AppState, message: &Message, is_new: bool) {
    let room = match state.store.room_by_id(&message.rid).await {
        Ok(Some(room)) => room,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the room to announce a message");
            return;
        }
    };
    let subs = match state.store.subscriptions_of_room(&room.id).await {
        Ok(subs) => subs,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the members to announce a message");
            Vec::new()
        }
    };
    let wire = message.to_wire(DateStyle::EJson);
    let members: Vec<String> = subs.iter().map(|s| s.user.id.clone()).collect();
    publish(
        state,
        Event::new(streams::ROOM_MESSAGES, room.id.clone(), json!([wire]))
            .to_members(members, my_messages_args(&wire, &room)),
    );
    if !is_new {
        return;
    }
    for sub in &subs {
        room_changed_for(state, "updated", &room, &sub.user.id);
        if sub.user.id != message.user.id {
            subscription_changed(state, "updated", sub);
        }
    }
    if message.t.is_none() {
        notify_recipients(state, message, &room, &subs);
    }
}

/// Desktop notifications (`<uid>/notification`) for the people a message is for: the other
/// side of a direct message, and mentioned members.
fn notify_recipients(state: &AppState, message: &Message, room: &Room, subs: &[Subscription]) {
    let mentioned: Vec<&str> = message
        .extra
        .get("mentions")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|v| v["_id"].as_str()).collect())
        .unwrap_or_default();
    let everyone = mentioned.iter().any(|id| *id == "all" || *id == "here");
    for sub in subs {
        if sub.user.id == message.user.id {
            continue;
        }
        let wanted =
            room.t == RoomType::Direct || everyone || mentioned.contains(&sub.user.id.as_str());
        if !wanted {
            continue;
        }
        let title = match room.t {
            RoomType::Direct => message.user.username.clone(),
            _ => format!("#{}", room.name.clone().unwrap_or_default()),
        };
        let text = match room.t {
            RoomType::Direct => message.msg.clone(),
            _ => format!("{}: {}", message.user.username, message.msg),
        };
        let mut payload = json!({
            "_id": message.id,
            "rid": room.id,
            "sender": message.user.to_wire(),
            "type": room.t.code(),
            "message": {"msg": message.msg},
        });
        if let Some(name) = &room.name {
            payload["name"] = Value::String(name.clone());
        }
        if let Some(tmid) = &message.tmid {
            payload["tmid"] = Value::String(tmid.clone());
        }
        notify_user(
            state,
            &sub.user.id,
            "notification",
            json!([{"title": title, "text": text, "duration": 5, "payload": payload}]),
        );
    }
}

/// A deleted message: `<rid>/deleteMessage` and the room's new last message.
pub async fn message_deleted(state: &AppState, message: &Message) {
    notify_room(
        state,
        &message.rid,
        "deleteMessage",
        json!([{"_id": message.id}]),
    );
    room_updated(state, &message.rid).await;
}

/// A user's status changed: `user-status` on `stream-notify-logged` and the user's presence
/// stream.
pub fn user_status(state: &AppState, user: &User) {
    let code = match user.status.as_str() {
        "online" => 1,
        "away" => 2,
        "busy" => 3,
        _ => 0,
    };
    notify_logged(
        state,
        "user-status",
        json!([[
            user.id,
            user.username,
            code,
            user.status_text,
            user.name,
            user.roles
        ]]),
    );
    publish(
        state,
        Event::new(
            streams::USER_PRESENCE,
            user.id.clone(),
            json!([[user.username, code, user.status_text]]),
        ),
    );
}
