//! Direct messages (`t: 'd'`): creating them (one-to-one, with oneself, and group DMs),
//! finding the DM a request names, and what the `im.*` / `dm.*` endpoints do with them.
//!
//! A one-to-one DM's id is the two user ids sorted and concatenated, a DM with oneself has
//! the user's id, and a group DM (three or more people) gets a random id. Each member's
//! subscription is named after the other members.

use ferrochat_model::time::now_ms;
use ferrochat_model::{DateStyle, Message, Room, RoomType, Subscription, User, ids};
use ferrochat_store::subscriptions::SubscriptionPatch;
use ferrochat_store::{Filter, Page, Sort, StoreError};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::{events, history, messages, rooms};
use crate::state::AppState;

/// `Meteor.Error('invalid-channel')`: the name or id matches no room the caller can reach.
pub fn invalid_channel() -> Error {
    Error::Failure {
        code: "invalid-channel".into(),
        reason: None,
        details: None,
    }
}

/// `API.v1.forbidden()`: 403 `{"success": false, "error": "unauthorized"}`.
pub fn forbidden() -> Error {
    Error::ForbiddenWith("unauthorized".into())
}

fn invalid_user() -> Error {
    Error::failure("error-invalid-user", "Invalid user")
        .with_details(json!({"method": "createDirectMessage"}))
}

/// The name a member shows under in the other members' sidebars.
fn display_name(user: &User) -> &str {
    if user.name.trim().is_empty() {
        &user.username
    } else {
        &user.name
    }
}

/// `createDirectMessage`: opens (creating when needed) the DM between the caller and the
/// users named, or, with `exclude_self`, between those users only.
pub async fn create(
    state: &AppState,
    caller: &User,
    usernames: &[String],
    exclude_self: bool,
) -> Result<Room> {
    let usernames: Vec<&str> = usernames
        .iter()
        .map(|u| u.trim().trim_start_matches('@'))
        .filter(|u| !u.is_empty())
        .collect();
    if usernames.is_empty() {
        return Err(invalid_user());
    }
    if !state.settings.bool("Message_AllowDirectMessagesToYourself")
        && usernames.len() == 1
        && usernames[0].eq_ignore_ascii_case(&caller.username)
    {
        return Err(invalid_user());
    }
    let mut others: Vec<User> = Vec::new();
    for username in usernames {
        if username.eq_ignore_ascii_case(&caller.username) {
            continue;
        }
        let Some(user) = state.store.user_by_username(username).await? else {
            return Err(invalid_user());
        };
        if !others.iter().any(|o| o.id == user.id) {
            others.push(user);
        }
    }
    let members: Vec<User> = if exclude_self {
        others
    } else {
        std::iter::once(caller.clone()).chain(others).collect()
    };
    if members.is_empty() || (members.len() == 1 && members[0].id != caller.id) {
        return Err(invalid_user());
    }
    if !state.authz.has_global(caller, "create-d") {
        // Someone who may not create DMs may still open one that exists.
        if state.authz.has_global(caller, "view-d-room")
            && let Some(room) = existing_room(state, &members).await?
        {
            return Ok(room);
        }
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "createDirectMessage"})));
    }
    let max = state.settings.int("DirectMesssage_maxUsers").max(1);
    if members.len() as i64 > max {
        return Err(Error::failure(
            "error-direct-message-max-user-exceeded",
            format!("You cannot add more than {max} users, including yourself to a direct message"),
        )
        .with_details(json!({"method": "createDirectRoom"})));
    }
    let open_for_all = exclude_self && state.authz.has_global(caller, "view-room-administration");
    create_room(state, caller, members, open_for_all).await
}

fn sorted_uids(members: &[User]) -> Vec<String> {
    let mut uids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    uids.sort();
    uids.dedup();
    uids
}

/// The DM whose members are exactly `members`, if it exists.
async fn existing_room(state: &AppState, members: &[User]) -> Result<Option<Room>> {
    let uids = sorted_uids(members);
    if uids.len() <= 2 {
        let id = uids.concat();
        if let Some(room) = state.store.room_by_id(&id).await?
            && room.t == RoomType::Direct
        {
            return Ok(Some(room));
        }
    }
    Ok(state.store.direct_room_by_uids(&uids).await?)
}

/// `createDirectRoom`: inserts the room and its memberships, or re-opens the existing one
/// for the creator (adding any member whose membership went missing).
async fn create_room(
    state: &AppState,
    creator: &User,
    members: Vec<User>,
    open_for_all: bool,
) -> Result<Room> {
    let mut sorted = members.clone();
    sorted.sort_by_key(|m| display_name(m).to_lowercase());
    let uids = sorted_uids(&members);
    let now = now_ms();
    let subscription = |room: &Room, member: &User| -> Subscription {
        let others: Vec<&User> = sorted.iter().filter(|o| o.id != member.id).collect();
        let mut sub = rooms::new_subscription(room, member, Vec::new(), &[], now);
        if others.is_empty() {
            sub.name = member.username.clone();
            sub.fname = Some(display_name(member).to_owned());
        } else {
            sub.name = others
                .iter()
                .map(|o| o.username.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            sub.fname = Some(
                others
                    .iter()
                    .map(|o| display_name(o))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        sub.open = member.id == creator.id || open_for_all || members.len() > 2;
        sub
    };

    if let Some(room) = existing_room(state, &members).await? {
        reopen(state, creator, &room, &members, subscription).await?;
        return Ok(state.store.room_by_id(&room.id).await?.unwrap_or(room));
    }

    let id = if uids.len() <= 2 {
        ids::direct_room_id(&uids.iter().map(String::as_str).collect::<Vec<_>>())
    } else {
        ids::random_id()
    };
    let room = Room {
        uids,
        usernames: sorted.iter().map(|m| m.username.clone()).collect(),
        ..Room::new(id, RoomType::Direct, now)
    };
    let subs: Vec<Subscription> = members.iter().map(|m| subscription(&room, m)).collect();
    match state.store.create_room(&room, &subs).await {
        Ok(()) => {}
        // Someone created the same DM a moment ago: use theirs.
        Err(StoreError::Duplicate(_)) => {
            if let Some(existing) = existing_room(state, &members).await? {
                reopen(state, creator, &existing, &members, subscription).await?;
                return Ok(state
                    .store
                    .room_by_id(&existing.id)
                    .await?
                    .unwrap_or(existing));
            }
            return Err(Error::Internal);
        }
        Err(other) => return Err(other.into()),
    }
    events::room_created(state, &room.id).await;
    Ok(state.store.room_by_id(&room.id).await?.unwrap_or(room))
}

async fn reopen(
    state: &AppState,
    creator: &User,
    room: &Room,
    members: &[User],
    subscription: impl Fn(&Room, &User) -> Subscription,
) -> Result<()> {
    let now = now_ms();
    for member in members {
        match state.store.subscription(&room.id, &member.id).await? {
            None => {
                state
                    .store
                    .add_subscription(&subscription(room, member))
                    .await?;
                events::member_added(state, &room.id, &member.id).await;
            }
            Some(sub) if member.id == creator.id && !sub.open => {
                let patch = SubscriptionPatch {
                    open: Some(true),
                    ..SubscriptionPatch::default()
                };
                state
                    .store
                    .update_subscription(&room.id, &member.id, &patch, now)
                    .await?;
                events::subscription_updated(state, &room.id, &member.id).await;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `findDirectMessageRoom` / `getRoomByNameOrIdWithOptionToJoin({type: 'd'})`: `name_or_id`
/// is a user (id or username, optionally `@`-prefixed), whose DM with the caller is opened
/// (created when missing), or the id of a direct-message room.
pub async fn find(
    state: &AppState,
    caller: &User,
    name_or_id: &str,
) -> Result<(Room, Option<Subscription>)> {
    let room = resolve(state, caller, name_or_id, false).await?;
    let sub = state.store.subscription(&room.id, &caller.id).await?;
    Ok((room, sub))
}

/// The DM `name_or_id` leads to, created when missing. With `user_id_only`, a user is
/// looked up by id only (how `chat.postMessage` treats a bare room id that matched no room).
pub async fn resolve(
    state: &AppState,
    caller: &User,
    name_or_id: &str,
    user_id_only: bool,
) -> Result<Room> {
    match lookup(state, caller, name_or_id, user_id_only).await? {
        Ok(room) => Ok(room),
        Err(user) => create(state, caller, &[user.username], false).await,
    }
}

/// Like [`resolve`] without side effects: the existing DM, or the user a new DM would be
/// opened with.
pub async fn lookup(
    state: &AppState,
    caller: &User,
    name_or_id: &str,
    user_id_only: bool,
) -> Result<std::result::Result<Room, User>> {
    let key = name_or_id.trim();
    let key = key.strip_prefix('@').unwrap_or(key);
    if key.is_empty() {
        return Err(invalid_channel());
    }
    let other = match state.store.user_by_id(key).await? {
        Some(user) => Some(user),
        None if !user_id_only => state.store.user_by_username(key).await?,
        None => None,
    };
    let room = match &other {
        Some(user) => {
            let members = if user.id == caller.id {
                vec![caller.clone()]
            } else {
                vec![caller.clone(), user.clone()]
            };
            existing_room(state, &members).await?
        }
        None => state.store.room_by_id(key).await?,
    };
    match (room, other) {
        (Some(room), _) if room.t == RoomType::Direct => Ok(Ok(room)),
        (Some(_), _) => Err(invalid_channel()),
        (None, Some(user)) => Ok(Err(user)),
        (None, None) => Err(invalid_channel()),
    }
}

/// The joined DMs of the caller, a page of them and the total (`im.list`).
pub async fn list(
    state: &AppState,
    caller: &User,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Room>, i64)> {
    Ok(state
        .store
        .rooms_of_user(
            &caller.id,
            &[RoomType::Direct],
            &Filter::default(),
            sort,
            page,
        )
        .await?)
}

/// Every DM of the server (`im.list.everyone`, `view-room-administration`).
pub async fn list_everyone(
    state: &AppState,
    caller: &User,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Room>, i64)> {
    state
        .authz
        .require(&state.store, caller, "view-room-administration", None)
        .await?;
    Ok(state
        .store
        .list_rooms(&[RoomType::Direct], filter, sort, page)
        .await?)
}

/// A DM the caller can read, or `403 unauthorized`.
async fn readable(state: &AppState, caller: &User, name_or_id: &str) -> Result<Room> {
    let (room, _) = find(state, caller, name_or_id).await?;
    if !rooms::can_read(state, &room, caller).await? {
        return Err(forbidden());
    }
    Ok(room)
}

pub async fn history(
    state: &AppState,
    caller: &User,
    room_id: &str,
    req: &history::HistoryRequest,
) -> Result<history::History> {
    let room = readable(state, caller, room_id).await?;
    history::history(state, caller, &room, req).await
}

pub async fn messages(
    state: &AppState,
    caller: &User,
    name_or_id: &str,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    let room = readable(state, caller, name_or_id).await?;
    history::messages(state, caller, &room, filter, sort, page).await
}

pub async fn members(
    state: &AppState,
    caller: &User,
    name_or_id: &str,
    filter: Option<&str>,
    statuses: &[String],
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    let room = readable(state, caller, name_or_id).await?;
    history::members(state, caller, &room, filter, statuses, page).await
}

/// `im.messages.others`: any DM's messages, for administrators, when
/// `API_Enable_Direct_Message_History_EndPoint` is on.
pub async fn messages_others(
    state: &AppState,
    caller: &User,
    room_id: Option<&str>,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    state
        .authz
        .require(&state.store, caller, "view-room-administration", None)
        .await?;
    if !state
        .settings
        .bool("API_Enable_Direct_Message_History_EndPoint")
    {
        return Err(
            Error::failure("error-endpoint-disabled", "This endpoint is disabled")
                .with_details(json!({"route": "/api/v1/im.messages.others"})),
        );
    }
    let Some(room_id) = room_id.filter(|r| !r.trim().is_empty()) else {
        return Err(Error::failure(
            "error-roomid-param-not-provided",
            "The parameter \"roomId\" is required",
        ));
    };
    let room = match state.store.room_by_id(room_id).await? {
        Some(room) if room.t == RoomType::Direct => room,
        _ => {
            return Err(Error::failure(
                "error-room-not-found",
                format!("No direct message room found by the id of: {room_id}"),
            ));
        }
    };
    Ok(state
        .store
        .room_messages(&room.id, filter, sort, page)
        .await?)
}

/// `im.counters`: the caller's (or, for administrators, `of`'s) unread figures in a DM.
pub async fn counters(
    state: &AppState,
    caller: &User,
    room_id: &str,
    of: Option<&str>,
) -> Result<Value> {
    let admin = state.authz.has_global(caller, "view-room-administration");
    let user = match of.filter(|u| !u.is_empty()) {
        Some(_) if !admin => return Err(forbidden()),
        Some(uid) => match state.store.user_by_id(uid).await? {
            Some(user) => user,
            None => return Err(forbidden()),
        },
        None => caller.clone(),
    };
    let (room, sub) = accessible_by_id(state, &user, room_id).await?;
    let latest = DateStyle::Iso.date(room.lm.unwrap_or(room.updated_at));
    let mut body = json!({
        "joined": false,
        "members": Value::Null,
        "unreads": Value::Null,
        "unreadsFrom": Value::Null,
        "msgs": Value::Null,
        "latest": Value::Null,
        "userMentions": Value::Null,
    });
    if let Some(sub) = &sub {
        body["joined"] = json!(true);
        body["unreads"] = json!(sub.unread);
        if let Some(ls) = sub.ls
            && room.msgs > 0
        {
            body["unreadsFrom"] = DateStyle::Iso.date(ls);
        }
        body["userMentions"] = json!(sub.user_mentions);
    }
    if admin || sub.is_some() {
        body["msgs"] = json!(room.msgs);
        body["latest"] = latest;
        body["members"] = json!(room.users_count);
    }
    Ok(body)
}

/// A DM named by its id that the user can read (`canAccessRoomIdAsync`), or `403 unauthorized`.
async fn accessible_by_id(
    state: &AppState,
    user: &User,
    room_id: &str,
) -> Result<(Room, Option<Subscription>)> {
    match state.store.room_by_id(room_id).await? {
        Some(room) if rooms::can_read(state, &room, user).await? => {}
        _ => return Err(forbidden()),
    }
    find(state, user, room_id).await
}

/// `im.open`: shows the DM in the caller's sidebar again.
pub async fn open(state: &AppState, caller: &User, room_id: &str) -> Result<()> {
    let (room, sub) = accessible_by_id(state, caller, room_id).await?;
    if sub.is_some_and(|s| !s.open) {
        let patch = SubscriptionPatch {
            open: Some(true),
            ..SubscriptionPatch::default()
        };
        state
            .store
            .update_subscription(&room.id, &caller.id, &patch, now_ms())
            .await?;
        events::subscription_updated(state, &room.id, &caller.id).await;
    }
    Ok(())
}

/// `im.close`: hides the DM from the caller's sidebar until its next message.
pub async fn close(state: &AppState, caller: &User, room_id: &str) -> Result<()> {
    let sub = match state.store.room_by_id(room_id).await? {
        // The membership of a room that no longer exists may still be closed.
        None => state.store.subscription(room_id, &caller.id).await?,
        Some(room) => {
            if !rooms::can_read(state, &room, caller).await? {
                return Err(forbidden());
            }
            find(state, caller, room_id).await?.1
        }
    };
    let Some(sub) = sub else {
        return Err(Error::plain("The user is not subscribed to the room"));
    };
    if !sub.open {
        return Err(Error::plain(
            "The direct message room, is already closed to the sender",
        ));
    }
    let patch = SubscriptionPatch {
        open: Some(false),
        alert: Some(false),
        ..SubscriptionPatch::default()
    };
    state
        .store
        .update_subscription(&sub.rid, &caller.id, &patch, now_ms())
        .await?;
    events::subscription_updated(state, &sub.rid, &caller.id).await;
    Ok(())
}

/// `im.setTopic` (`saveRoomSettings(rid, 'roomTopic', topic)`).
pub async fn set_topic(state: &AppState, caller: &User, room_id: &str, topic: &str) -> Result<()> {
    let (room, _) = accessible_by_id(state, caller, room_id).await?;
    if !state
        .authz
        .has(&state.store, caller, "edit-room", Some(&room.id))
        .await?
    {
        return Err(
            Error::failure("error-action-not-allowed", "Editing room is not allowed")
                .with_details(json!({"method": "saveRoomSettings", "action": "Editing_room"})),
        );
    }
    let topic = topic.trim();
    if room.topic.as_deref().unwrap_or("") == topic {
        return Ok(());
    }
    let patch = ferrochat_store::rooms::RoomPatch {
        topic: Some(Some(topic.to_owned()).filter(|t| !t.is_empty())),
        ..Default::default()
    };
    state.store.update_room(&room.id, &patch, now_ms()).await?;
    events::room_updated(state, &room.id).await;
    messages::system(state, &room, "room_changed_topic", topic, caller).await?;
    Ok(())
}

/// `im.delete` (`eraseRoom`): needs `delete-d`.
pub async fn delete(state: &AppState, caller: &User, name_or_id: &str) -> Result<()> {
    let (room, _) = find(state, caller, name_or_id).await?;
    let can_access = rooms::can_read(state, &room, caller).await?
        || state.authz.has_global(caller, "view-room-administration");
    if !can_access {
        return Err(Error::failure("error-not-allowed", "Not allowed"));
    }
    if !state
        .authz
        .has(&state.store, caller, "delete-d", Some(&room.id))
        .await?
    {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "eraseRoom"})));
    }
    let subs = events::subscriptions_of(state, &room.id).await;
    state.store.delete_room(&room.id, now_ms()).await?;
    events::room_deleted(state, &room, &subs);
    Ok(())
}
