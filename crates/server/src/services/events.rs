//! Realtime notifications of what the services changed, published on the bus in the stream
//! frames Rocket.Chat clients expect (API.md b.3). Publishing never fails a request: the
//! change is already stored, and clients that miss an event catch up through their sync
//! calls.

use ferrochat_bus::Event;
use ferrochat_model::{DateStyle, Message, Room, RoomType, Subscription, User};
use serde_json::{Map, Value, json};

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

/// `<uid>/rooms-changed` for each of `users`: one bus event, the room document built and
/// serialised once for all of them.
pub fn room_changed_for_all(state: &AppState, kind: &str, room: &Room, users: Vec<String>) {
    if users.is_empty() {
        return;
    }
    publish(
        state,
        Event::for_users(
            streams::NOTIFY_USER,
            "rooms-changed",
            users,
            json!([kind, room.to_wire(DateStyle::EJson)]),
        ),
    );
}

/// `<uid>/subscriptions-changed` for each of these memberships, to its member: one bus
/// event.
pub fn subscriptions_changed<'s>(
    state: &AppState,
    kind: &str,
    subs: impl IntoIterator<Item = &'s Subscription>,
) {
    let args: Vec<(String, Value)> = subs
        .into_iter()
        .map(|sub| {
            (
                sub.user.id.clone(),
                json!([kind, sub.to_wire(DateStyle::EJson)]),
            )
        })
        .collect();
    if args.is_empty() {
        return;
    }
    publish(
        state,
        Event::for_each_user(streams::NOTIFY_USER, "subscriptions-changed", args),
    );
}

fn user_ids(subs: &[Subscription]) -> Vec<String> {
    subs.iter().map(|s| s.user.id.clone()).collect()
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
    room_changed_for_all(state, "updated", &room, user_ids(&subs));
    subscriptions_changed(state, "updated", &subs);
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

/// Announces a membership that ended, to the former member (after the store removed it;
/// the membership's id comes from the trash).
pub async fn member_removed(state: &AppState, room: &Room, user_id: &str) {
    let since = ferrochat_model::time::now_ms() - 60_000;
    let sub_id = match state.store.removed_subscriptions(user_id, since).await {
        Ok(removed) => removed
            .into_iter()
            .rev()
            .find(|(_, rid, _)| *rid == room.id)
            .map(|(id, _, _)| Value::String(id))
            .unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    notify_user(
        state,
        user_id,
        "subscriptions-changed",
        json!(["removed", {"_id": sub_id, "rid": room.id, "u": {"_id": user_id}}]),
    );
    room_changed_for(state, "removed", room, user_id);
}

/// A new room: each member hears of their membership and the room (`inserted`).
pub async fn room_created(state: &AppState, rid: &str) {
    let (room, subs) = match (
        state.store.room_by_id(rid).await,
        state.store.subscriptions_of_room(rid).await,
    ) {
        (Ok(Some(room)), Ok(subs)) => (room, subs),
        _ => return,
    };
    subscriptions_changed(state, "inserted", &subs);
    room_changed_for_all(state, "inserted", &room, user_ids(&subs));
}

/// The memberships of a room, read before the room is deleted (for [`room_deleted`]).
pub async fn subscriptions_of(state: &AppState, rid: &str) -> Vec<Subscription> {
    state
        .store
        .subscriptions_of_room(rid)
        .await
        .unwrap_or_default()
}

/// A deleted room: each former member hears `removed` for the membership and the room.
pub fn room_deleted(state: &AppState, room: &Room, subs: &[Subscription]) {
    subscriptions_changed(state, "removed", subs);
    room_changed_for_all(state, "removed", room, user_ids(subs));
}

/// One member's membership changed (read, unread, open, hidden, favourite, roles).
pub async fn subscription_updated(state: &AppState, rid: &str, user_id: &str) {
    if let Ok(Some(sub)) = state.store.subscription(rid, user_id).await {
        subscription_changed(state, "updated", &sub);
    }
}

/// Someone read a room: their membership, and `<rid>/messagesRead` with `until`, the
/// time up to which every member has read the room.
pub async fn messages_read(state: &AppState, rid: &str, user_id: &str) {
    subscription_updated(state, rid, user_id).await;
    // One aggregate, not every membership of the room: clients mark rooms read often.
    if let Ok(Some(until)) = state.store.min_last_seen_of_room(rid).await {
        notify_room(
            state,
            rid,
            "messagesRead",
            json!([{"until": DateStyle::EJson.date(until)}]),
        );
    }
}

/// A room role given or taken: the member's membership, and `roles-change` for everyone.
pub async fn room_role_changed(
    state: &AppState,
    room: &Room,
    target: &User,
    role: &str,
    added: bool,
) {
    subscription_updated(state, &room.id, &target.id).await;
    notify_logged(
        state,
        "roles-change",
        json!([{
            "type": if added { "added" } else { "removed" },
            "_id": role,
            "u": {"_id": target.id, "username": target.username, "name": target.name},
            "scope": room.id,
        }]),
    );
}

/// Some or all of a user's login tokens were revoked. Every session of the user, on every
/// node, checks its own token; a session whose token is gone sends its client
/// `<uid>/force_logout` (when subscribed) and drops its login. A session whose token
/// survives (the one that changed the password) hears nothing, so its client is not logged
/// out with the others.
pub fn force_logout(state: &AppState, user_id: &str) {
    publish(
        state,
        Event::new(
            crate::realtime::presence::SESSION_STREAM,
            user_id.to_owned(),
            Value::Null,
        ),
    );
}

/// Top-level fields of the user's own record that differ: `(diff, unset)`.
fn user_diff(before: &User, after: &User) -> (Map<String, Value>, Map<String, Value>) {
    let old = before.to_private(DateStyle::EJson);
    let new = after.to_private(DateStyle::EJson);
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return (Map::new(), Map::new());
    };
    let diff: Map<String, Value> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let unset: Map<String, Value> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| (k.clone(), json!(1)))
        .collect();
    (diff, unset)
}

/// A profile change: `<uid>/userData` with what changed, and `Users:NameChanged` for
/// everyone when the username or name did.
pub fn user_changed(state: &AppState, before: &User, after: &User) {
    let (diff, unset) = user_diff(before, after);
    let only_timestamp = diff.keys().all(|k| k == "_updatedAt");
    if !only_timestamp || !unset.is_empty() {
        notify_user(
            state,
            &after.id,
            "userData",
            json!([{"type": "updated", "id": after.id, "diff": diff, "unset": unset}]),
        );
    }
    if before.username != after.username || before.name != after.name {
        notify_logged(
            state,
            "Users:NameChanged",
            json!([{"_id": after.id, "name": after.name, "username": after.username}]),
        );
    }
}

/// [`user_changed`], reading the user as stored now.
pub async fn user_updated(state: &AppState, before: &User) {
    if let Ok(Some(after)) = state.store.user_by_id(&before.id).await {
        user_changed(state, before, &after);
    }
}

/// A deleted user: `Users:Deleted` for everyone, `userData` `removed` and a forced logout
/// for the user's own sessions.
pub fn user_deleted(state: &AppState, user: &User, erasure: &str) {
    notify_logged(
        state,
        "Users:Deleted",
        json!([{"userId": user.id, "messageErasureType": erasure}]),
    );
    notify_user(
        state,
        &user.id,
        "userData",
        json!([{"type": "removed", "id": user.id}]),
    );
    force_logout(state, &user.id);
}

/// A new avatar: `updateAvatar` for everyone.
pub fn avatar_updated(state: &AppState, username: &str, etag: Option<&str>) {
    notify_logged(
        state,
        "updateAvatar",
        json!([{"username": username, "etag": etag}]),
    );
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
///
/// The message goes out as soon as the room and its member ids are read (an index-only
/// read); the members' memberships, which differ per member, are read after it, and on a
/// node without other nodes only for the members someone listens to.
pub async fn message_saved(state: &AppState, message: &Message, is_new: bool) {
    let (room, members) = tokio::join!(
        state.store.room_by_id(&message.rid),
        state.store.member_ids_of_room(&message.rid),
    );
    let room = match room {
        Ok(Some(room)) => room,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the room to announce a message");
            return;
        }
    };
    let members = match members {
        Ok(members) => members,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the members to announce a message");
            Vec::new()
        }
    };
    let wire = message.to_wire(DateStyle::EJson);
    publish(
        state,
        Event::new(streams::ROOM_MESSAGES, room.id.clone(), json!([wire])).to_members(
            members.clone(),
            my_messages_args(&wire, &room),
            room.t == RoomType::Channel,
        ),
    );
    if !is_new {
        return;
    }
    room_changed_for_all(state, "updated", &room, members.clone());
    let others: Vec<String> = members
        .iter()
        .filter(|id| **id != message.user.id)
        .cloned()
        .collect();
    match listened_memberships(state, &room.id, others).await {
        Ok(subs) => subscriptions_changed(state, "updated", &subs),
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the memberships to announce a message")
        }
    }
    if message.t.is_none() {
        notify_recipients(state, message, &room, &members);
    }
}

/// The memberships in `rid` of those of `users` whose `subscriptions-changed` anyone may
/// hear: all of them when other nodes share the bus (their listeners are not known here),
/// else those with a listener on this node.
async fn listened_memberships(
    state: &AppState,
    rid: &str,
    users: Vec<String>,
) -> ferrochat_store::Result<Vec<Subscription>> {
    let users = if state.config.redis_url.is_some() {
        users
    } else {
        state
            .hub
            .user_event_listeners(streams::NOTIFY_USER, "subscriptions-changed", &users)
    };
    if users.is_empty() {
        return Ok(Vec::new());
    }
    state.store.subscriptions_of_room_members(rid, &users).await
}

/// Desktop notifications (`<uid>/notification`) for the people a message is for: the other
/// side of a direct message, and mentioned members.
fn notify_recipients(state: &AppState, message: &Message, room: &Room, members: &[String]) {
    let mentioned: Vec<&str> = message
        .extra
        .get("mentions")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|v| v["_id"].as_str()).collect())
        .unwrap_or_default();
    let everyone = mentioned.iter().any(|id| *id == "all" || *id == "here");
    for member in members {
        if *member == message.user.id {
            continue;
        }
        let wanted = room.t == RoomType::Direct || everyone || mentioned.contains(&member.as_str());
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
            member,
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
    let code = crate::realtime::presence::status_code(&user.status);
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
