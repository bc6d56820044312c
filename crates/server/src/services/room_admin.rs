//! Channels (`c`) and private groups (`p`): everything the `channels.*` and `groups.*`
//! endpoints do, written once and parameterised by [`Kind`]. The two families differ in
//! wording, permissions and a few checks, all of which live in `Kind`; each function follows
//! the Rocket.Chat method it mirrors (`joinRoom`, `leaveRoom`, `addUsersToRoom`,
//! `removeUserFromRoom`, `saveRoomSettings`, `archiveRoom`, `addRoomOwner`, ...), with its
//! error codes and English messages, so that DDP methods can call the same functions.

use ferrochat_model::time::now_ms;
use ferrochat_model::{DateStyle, Message, Room, RoomType, User};
use ferrochat_store::rooms::RoomPatch;
use ferrochat_store::subscriptions::SubscriptionPatch;
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::history::{self, History, HistoryRequest};
use crate::services::rooms::{self, NewRoom, RoomFamily, RoomSelector};
use crate::services::{events, messages};
use crate::state::AppState;

/// Which family of endpoints is at work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Group,
}

impl Kind {
    pub fn room_type(self) -> RoomType {
        match self {
            Kind::Channel => RoomType::Channel,
            Kind::Group => RoomType::Group,
        }
    }

    pub fn family(self) -> RoomFamily {
        match self {
            Kind::Channel => RoomFamily::Channel,
            Kind::Group => RoomFamily::Group,
        }
    }

    /// The reply key of one room: `channel` / `group`.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Channel => "channel",
            Kind::Group => "group",
        }
    }

    /// The reply key of a list: `channels` / `groups`.
    pub fn list_key(self) -> &'static str {
        match self {
            Kind::Channel => "channels",
            Kind::Group => "groups",
        }
    }

    /// How Rocket.Chat's messages name a room of this kind ("The channel, x, is archived",
    /// "The private group, x, is archived").
    fn noun(self) -> &'static str {
        match self {
            Kind::Channel => "channel",
            Kind::Group => "private group",
        }
    }

    /// `create-c` / `create-p`, `delete-c` / `delete-p`, ...
    fn permission(self, prefix: &str) -> String {
        match self {
            Kind::Channel => format!("{prefix}-c"),
            Kind::Group => format!("{prefix}-p"),
        }
    }

    pub fn from_room_type(t: RoomType) -> Option<Self> {
        match t {
            RoomType::Channel => Some(Kind::Channel),
            RoomType::Group => Some(Kind::Group),
            RoomType::Direct => None,
        }
    }
}

fn room_name(room: &Room) -> &str {
    room.name.as_deref().unwrap_or_default()
}

fn archived_error(kind: Kind, room: &Room) -> Error {
    Error::failure(
        "error-room-archived",
        format!("The {}, {}, is archived", kind.noun(), room_name(room)),
    )
}

/// `findChannelByIdOrName` / `findPrivateGroupByIdOrName`: the room the request names, of
/// this kind and readable by the caller (private groups only for members), and unless
/// `allow_archived` not archived.
pub async fn locate(
    state: &AppState,
    caller: &User,
    kind: Kind,
    selector: &RoomSelector,
    allow_archived: bool,
) -> Result<Room> {
    let room = rooms::find(state, caller, selector, kind.family()).await?;
    if !allow_archived && room.archived {
        return Err(archived_error(kind, &room));
    }
    Ok(room)
}

/// The room by id or name with no access check (`Rooms.findOneByIdOrName`): a few
/// Rocket.Chat routes resolve a room first and let the permission check decide.
async fn lookup(state: &AppState, kind: Kind, selector: &RoomSelector) -> Result<Room> {
    let room = match (&selector.id, &selector.name) {
        (Some(id), _) if !id.trim().is_empty() => state.store.room_by_id(id.trim()).await?,
        (_, Some(name)) if !name.trim().is_empty() => {
            state
                .store
                .room_by_name(name.trim().trim_start_matches('#'))
                .await?
        }
        _ => {
            return Err(Error::failure(
                "error-room-param-not-provided",
                "The parameter \"roomId\" or \"roomName\" is required",
            ));
        }
    };
    room.filter(|r| r.t == kind.room_type())
        .ok_or_else(|| rooms::room_not_found(kind.family()))
}

async fn has(state: &AppState, user: &User, permission: &str, rid: Option<&str>) -> Result<bool> {
    state.authz.has(&state.store, user, permission, rid).await
}

fn not_allowed(method: &str) -> Error {
    Error::failure("error-not-allowed", "Not allowed").with_details(json!({"method": method}))
}

/// `API.v1.forbidden()` without a message.
fn forbidden() -> Error {
    Error::ForbiddenWith("unauthorized".into())
}

/// Stores a system message, with extra fields (`role` for role changes) when given.
async fn announce(
    state: &AppState,
    room: &Room,
    t: &str,
    msg: &str,
    actor: &User,
    extra: &[(&str, Value)],
) -> Result<()> {
    messages::system_with(state, room, t, msg, actor, extra).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Creation and lists

/// `create-c` / `create-p`, with the answer each endpoint gives without it.
pub async fn check_can_create(state: &AppState, caller: &User, kind: Kind) -> Result<()> {
    if has(state, caller, &kind.permission("create"), None).await? {
        return Ok(());
    }
    Err(match kind {
        // channels.create answers `API.v1.forbidden()`.
        Kind::Channel => forbidden(),
        Kind::Group => not_allowed("createPrivateGroup"),
    })
}

/// `createChannel` / `createPrivateGroup`.
pub async fn create(state: &AppState, caller: &User, kind: Kind, mut new: NewRoom) -> Result<Room> {
    check_can_create(state, caller, kind).await?;
    if new.name.trim().is_empty() {
        return Err(Error::failure("error-invalid-name", "Invalid name")
            .with_details(json!({"function": "RocketChat.createRoom"})));
    }
    if new.custom_fields.is_none() {
        new.custom_fields = Some(json!({}));
    }
    rooms::create(state, caller, kind.room_type(), new).await
}

/// `channels.list` (every public channel) and `groups.listAll` (every private group).
pub async fn list_all(
    state: &AppState,
    caller: &User,
    kind: Kind,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Room>, i64)> {
    let types = [kind.room_type()];
    match kind {
        Kind::Channel => {
            if !state
                .authz
                .has_any(
                    &state.store,
                    caller,
                    &["view-c-room", "view-joined-room"],
                    None,
                )
                .await?
            {
                return Err(Error::Forbidden);
            }
            if has(state, caller, "view-c-room", None).await? {
                Ok(state.store.list_rooms(&types, filter, sort, page).await?)
            } else {
                Ok(state
                    .store
                    .rooms_of_user(&caller.id, &types, filter, sort, page)
                    .await?)
            }
        }
        Kind::Group => {
            state
                .authz
                .require(&state.store, caller, "view-room-administration", None)
                .await?;
            Ok(state.store.list_rooms(&types, filter, sort, page).await?)
        }
    }
}

/// `channels.list.joined` / `groups.list`: the caller's rooms of this kind.
pub async fn list_joined(
    state: &AppState,
    caller: &User,
    kind: Kind,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Room>, i64)> {
    Ok(state
        .store
        .rooms_of_user(
            &caller.id,
            &[kind.room_type()],
            &Filter::default(),
            sort,
            page,
        )
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// `channels.history` / `groups.history`. A caller who cannot read the room gets
/// `API.v1.forbidden()`, as `getChannelHistory` answers false.
pub async fn history(
    state: &AppState,
    caller: &User,
    room: &Room,
    req: &HistoryRequest,
) -> Result<History> {
    if !rooms::can_read(state, room, caller).await? {
        return Err(forbidden());
    }
    history::history(state, caller, room, req).await
}

/// `channels.messages` / `groups.messages`.
pub async fn messages(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    if kind == Kind::Channel {
        if !has(state, caller, "view-c-room", None).await? {
            return Err(Error::Forbidden);
        }
        if has(state, caller, "view-joined-room", None).await?
            && !rooms::is_member(state, room, caller).await?
        {
            return Err(forbidden());
        }
    }
    if !rooms::can_read(state, room, caller).await? {
        return Err(forbidden());
    }
    history::messages(state, caller, room, filter, sort, page).await
}

/// `channels.members` / `groups.members`.
pub async fn members(
    state: &AppState,
    caller: &User,
    room: &Room,
    filter: Option<&str>,
    statuses: &[String],
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    if room.broadcast && !has(state, caller, "view-broadcast-member-list", Some(&room.id)).await? {
        return Err(forbidden());
    }
    history::members(state, caller, room, filter, statuses, page).await
}

/// `channels.online` / `groups.online`: members who are not offline.
pub async fn online(state: &AppState, caller: &User, room: &Room) -> Result<Vec<Value>> {
    if !rooms::can_read(state, room, caller).await? {
        return Err(Error::failure("error-not-allowed", "Not Allowed"));
    }
    let statuses = ["online", "away", "busy"].map(str::to_owned);
    let (members, _) = state
        .store
        .room_members(
            &room.id,
            None,
            &statuses,
            Page {
                offset: 0,
                count: None,
            },
        )
        .await?;
    Ok(members
        .into_iter()
        .map(|m| json!({"_id": m.user.id, "username": m.user.username}))
        .collect())
}

/// `channels.counters` / `groups.counters`: unread figures of the caller, or of `user_id`
/// for callers with `view-room-administration`.
pub async fn counters(
    state: &AppState,
    caller: &User,
    kind: Kind,
    selector: &RoomSelector,
    user_id: Option<&str>,
) -> Result<Value> {
    let access = has(state, caller, "view-room-administration", None).await?;
    let room = match kind {
        Kind::Channel => {
            if user_id.is_some() && !access {
                return Err(forbidden());
            }
            locate(state, caller, kind, selector, false).await?
        }
        Kind::Group => {
            let room = lookup(state, kind, selector).await?;
            if !access && !rooms::is_member(state, &room, caller).await? {
                return Err(rooms::room_not_found(kind.family()));
            }
            if room.archived {
                return Err(archived_error(kind, &room));
            }
            if user_id.is_some() && !access {
                return Err(forbidden());
            }
            room
        }
    };
    let of = user_id.unwrap_or(&caller.id);
    let sub = state
        .store
        .subscription(&room.id, of)
        .await?
        .filter(|s| s.open);
    let lm = room.lm.unwrap_or(room.updated_at);
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
        let since = sub.ls.unwrap_or(sub.ts);
        body["unreads"] = json!(
            state
                .store
                .count_messages_after(&room.id, since, of)
                .await?
        );
        body["unreadsFrom"] = DateStyle::Iso.date(since);
        body["userMentions"] = json!(sub.user_mentions);
        body["joined"] = Value::Bool(true);
    }
    if access || sub.is_some() {
        body["msgs"] = json!(room.msgs);
        body["latest"] = DateStyle::Iso.date(lm);
        body["members"] = json!(room.users_count);
    }
    Ok(body)
}

/// `getRoomRoles`: members holding room roles, as `channels.roles` lists them.
pub async fn room_roles(state: &AppState, room: &Room) -> Result<Vec<Value>> {
    let subs = state.store.subscriptions_with_roles(&room.id).await?;
    Ok(subs
        .into_iter()
        .filter_map(|sub| {
            let roles: Vec<&String> = sub
                .roles
                .iter()
                .filter(|r| RoomRole::from_name(r).is_some())
                .collect();
            (!roles.is_empty()).then(|| {
                json!({
                    "_id": sub.id,
                    "rid": sub.rid,
                    "u": sub.user.to_wire(),
                    "roles": roles,
                })
            })
        })
        .collect())
}

/// `channels.moderators`: the members with the moderator role.
pub async fn moderators(state: &AppState, room: &Room) -> Result<Vec<Value>> {
    let subs = state
        .store
        .subscriptions_with_role(&room.id, "moderator")
        .await?;
    Ok(subs.into_iter().map(|s| s.user.to_wire()).collect())
}

// ---------------------------------------------------------------------------------------------
// Membership

/// `joinRoom` (`channels.join`): public channels only; the join code is checked unless
/// the caller holds `join-without-join-code`.
pub async fn join(
    state: &AppState,
    caller: &User,
    room: &Room,
    join_code: Option<&str>,
) -> Result<()> {
    if room.t != RoomType::Channel || !rooms::can_read(state, room, caller).await? {
        return Err(not_allowed("joinRoom"));
    }
    if let Some(code) = room.join_code.as_deref()
        && join_code != Some(code)
        && !has(state, caller, "join-without-join-code", None).await?
    {
        return Err(
            Error::failure("error-code-invalid", "Invalid Room Password")
                .with_details(json!({"method": "joinRoom"})),
        );
    }
    rooms::add_member(state, room, caller, Vec::new(), Some(caller)).await?;
    Ok(())
}

async fn owner_count(state: &AppState, room: &Room) -> Result<usize> {
    Ok(state
        .store
        .subscriptions_with_role(&room.id, "owner")
        .await?
        .len())
}

fn last_owner(method: &str) -> Error {
    Error::failure(
        "error-you-are-last-owner",
        "You are the last owner. Please set new owner before leaving the room.",
    )
    .with_details(json!({"method": method}))
}

/// `leaveRoom`: the last owner must hand over ownership first.
pub async fn leave(state: &AppState, caller: &User, room: &Room) -> Result<()> {
    let Some(kind) = Kind::from_room_type(room.t) else {
        return Err(not_allowed("leaveRoom"));
    };
    if !has(state, caller, &kind.permission("leave"), None).await? {
        return Err(not_allowed("leaveRoom"));
    }
    let Some(sub) = state.store.subscription(&room.id, &caller.id).await? else {
        return Err(
            Error::failure("error-user-not-in-room", "You are not in this room")
                .with_details(json!({"method": "leaveRoom"})),
        );
    };
    if sub.roles.iter().any(|r| r == "owner") && owner_count(state, room).await? <= 1 {
        return Err(last_owner("leaveRoom"));
    }
    rooms::remove_member(state, room, caller, None).await?;
    Ok(())
}

/// Who `userId` / `username` (or `user`) name (`getUserFromParams`).
#[derive(Debug, Clone, Default)]
pub struct UserSelector {
    pub id: Option<String>,
    pub username: Option<String>,
}

pub async fn resolve_user(state: &AppState, selector: &UserSelector) -> Result<User> {
    let user = match (&selector.id, &selector.username) {
        (Some(id), _) if !id.trim().is_empty() => state.store.user_by_id(id.trim()).await?,
        (_, Some(name)) if !name.trim().is_empty() => {
            state
                .store
                .user_by_username(name.trim().trim_start_matches('@'))
                .await?
        }
        _ => {
            return Err(Error::failure(
                "error-user-param-not-provided",
                "The required \"userId\" or \"username\" param was not provided",
            ));
        }
    };
    user.ok_or_else(|| {
        Error::failure(
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
        )
    })
}

/// Who an invitation names (`getUserListFromParams`): `userId` / `username` / `user` plus
/// `userIds` / `usernames`. Names that match nobody are left out.
#[derive(Debug, Clone, Default)]
pub struct UserListSelector {
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub user_ids: Option<Vec<String>>,
    pub usernames: Option<Vec<String>>,
}

pub async fn resolve_users(state: &AppState, selector: &UserListSelector) -> Result<Vec<User>> {
    let sole = [&selector.user_id, &selector.username]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .cloned();
    let mut wanted: Vec<String> = selector
        .user_ids
        .clone()
        .or_else(|| selector.usernames.clone())
        .unwrap_or_default();
    wanted.extend(sole);
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|s| !s.trim().is_empty() && seen.insert(s.clone()));
    if wanted.is_empty() {
        return Err(Error::failure(
            "error-users-params-not-provided",
            "Please provide \"userId\" or \"username\" or \"userIds\" or \"usernames\" as param",
        ));
    }
    if wanted.len() > 1000 {
        return Err(Error::failure(
            "error-invalid-arguments",
            "Invalid arguments",
        ));
    }
    if selector.user_ids.is_some() || selector.user_id.as_deref().is_some_and(|s| !s.is_empty()) {
        return Ok(state.store.users_by_ids(&wanted).await?);
    }
    let mut users: Vec<User> = Vec::new();
    for name in &wanted {
        if let Some(user) = state
            .store
            .user_by_username(name.trim().trim_start_matches('@'))
            .await?
            && !users.iter().any(|u| u.id == user.id)
        {
            users.push(user);
        }
    }
    Ok(users)
}

/// The room `channels.invite` / `groups.invite` add users to. Channels must not be
/// archived. Private groups may be archived (as in Rocket.Chat) and are found for members and
/// for holders of `add-user-to-any-p-room`; to anyone else they do not exist.
pub async fn invite_target(
    state: &AppState,
    caller: &User,
    kind: Kind,
    selector: &RoomSelector,
) -> Result<Room> {
    match kind {
        Kind::Channel => locate(state, caller, kind, selector, false).await,
        Kind::Group => {
            let room = lookup(state, kind, selector).await?;
            if !rooms::is_member(state, &room, caller).await?
                && !has(state, caller, "add-user-to-any-p-room", None).await?
            {
                return Err(rooms::room_not_found(kind.family()));
            }
            Ok(room)
        }
    }
}

/// `addUsersToRoom`: members with `add-user-to-joined-room`, or anyone with
/// `add-user-to-any-c-room` / `add-user-to-any-p-room`, may add users. Users already in the
/// room are skipped.
pub async fn invite(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    users: &[User],
) -> Result<()> {
    if users.is_empty() {
        return Err(match kind {
            Kind::Channel => Error::plain_with_type(
                "invalid-user-invite-list",
                "Cannot invite if no users are provided",
            ),
            Kind::Group => Error::failure(
                "error-empty-invite-list",
                "Cannot invite if no valid users are provided",
            ),
        });
    }
    let member = rooms::is_member(state, room, caller).await?;
    let allowed = (member && has(state, caller, "add-user-to-joined-room", Some(&room.id)).await?)
        || has(
            state,
            caller,
            &format!("add-user-to-any-{}-room", room.t.code()),
            None,
        )
        .await?;
    if !allowed {
        return Err(not_allowed("addUsersToRoom"));
    }
    for user in users {
        rooms::add_member(state, room, user, Vec::new(), Some(caller)).await?;
    }
    Ok(())
}

/// `removeUserFromRoom` (`channels.kick` / `groups.kick`).
pub async fn kick(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    target: &User,
) -> Result<()> {
    // Room-scoped: owners and moderators of the room hold `remove-user` there. Rocket.Chat's
    // `removeUserFromRoom` answers a missing permission with `error-not-allowed` (400).
    if !has(state, caller, "remove-user", Some(&room.id)).await? {
        return Err(not_allowed("removeUserFromRoom"));
    }
    let kick_any = has(
        state,
        caller,
        &format!("kick-user-from-any-{}-room", room.t.code()),
        None,
    )
    .await?;
    if !kick_any && !rooms::can_read(state, room, caller).await? {
        return Err(rooms::room_not_found(kind.family()));
    }
    let Some(sub) = state.store.subscription(&room.id, &target.id).await? else {
        return Err(
            Error::failure("error-user-not-in-room", "User is not in this room")
                .with_details(json!({"method": "removeUserFromRoom"})),
        );
    };
    if sub.roles.iter().any(|r| r == "owner") && owner_count(state, room).await? <= 1 {
        return Err(last_owner("removeUserFromRoom"));
    }
    rooms::remove_member(state, room, target, Some(caller)).await?;
    Ok(())
}

/// `addAllUserToRoom`: every user (only active ones with `active_only`) joins the room.
pub async fn add_all(
    state: &AppState,
    caller: &User,
    room: &Room,
    active_only: bool,
) -> Result<()> {
    if !has(state, caller, "add-all-to-room", None).await? {
        return Err(Error::failure("403", "Access to Method Forbidden")
            .with_details(json!({"method": "addAllToRoom"})));
    }
    let (users, total) = state
        .store
        .list_users(
            &Filter::default(),
            &Sort::default(),
            Page {
                offset: 0,
                count: None,
            },
        )
        .await?;
    let limit = state.settings.int("API_User_Limit");
    if limit > 0 && total > limit {
        return Err(
            Error::failure("error-user-limit-exceeded", "User Limit Exceeded")
                .with_details(json!({"method": "addAllToRoom"})),
        );
    }
    for user in users.iter().filter(|u| !active_only || u.active) {
        rooms::add_member(state, room, user, Vec::new(), None).await?;
    }
    Ok(())
}

/// `hideRoom` / `openRoom` (`channels.close` / `channels.open`).
pub async fn set_open(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    open: bool,
) -> Result<()> {
    let name = room_name(room);
    let Some(sub) = state.store.subscription(&room.id, &caller.id).await? else {
        return Err(Error::plain(if open {
            format!("The user/callee is not in the {} \"{name}\".", kind.noun())
        } else {
            // Rocket.Chat's message lacks the closing quote here.
            format!("The user/callee is not in the {} \"{name}.", kind.noun())
        }));
    };
    if sub.open == open {
        return Err(Error::plain(match (kind, open) {
            (Kind::Channel, true) => format!("The channel, {name}, is already open to the sender"),
            (Kind::Group, true) => {
                format!("The private group, {name}, is already open for the sender")
            }
            (_, false) => format!(
                "The {}, {name}, is already closed to the sender",
                kind.noun()
            ),
        }));
    }
    let patch = SubscriptionPatch {
        open: Some(open),
        ..SubscriptionPatch::default()
    };
    state
        .store
        .update_subscription(&room.id, &caller.id, &patch, now_ms())
        .await?;
    events::subscription_updated(state, &room.id, &caller.id).await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Archive and delete

/// `archiveRoom`: the room and every membership are marked archived.
pub async fn archive(state: &AppState, caller: &User, room: &Room) -> Result<()> {
    if !has(state, caller, "archive-room", Some(&room.id)).await? {
        return Err(Error::failure("error-not-authorized", "Not authorized")
            .with_details(json!({"method": "archiveRoom"})));
    }
    set_archived(state, caller, room, true).await
}

/// `unarchiveRoom`. Channels refuse a room that is not archived.
pub async fn unarchive(state: &AppState, caller: &User, kind: Kind, room: &Room) -> Result<()> {
    if kind == Kind::Channel && !room.archived {
        return Err(Error::plain(format!(
            "The channel, {}, is not archived",
            room_name(room)
        )));
    }
    if !has(state, caller, "unarchive-room", Some(&room.id)).await? {
        return Err(Error::failure("error-not-authorized", "Not authorized")
            .with_details(json!({"method": "unarchiveRoom"})));
    }
    set_archived(state, caller, room, false).await
}

async fn set_archived(state: &AppState, caller: &User, room: &Room, archived: bool) -> Result<()> {
    let patch = RoomPatch {
        archived: Some(archived),
        ..RoomPatch::default()
    };
    state.store.update_room(&room.id, &patch, now_ms()).await?;
    events::room_updated(state, &room.id).await;
    let t = if archived {
        "room-archived"
    } else {
        "room-unarchived"
    };
    announce(state, room, t, "", caller, &[]).await
}

/// `eraseRoom`: needs `delete-c` / `delete-p` (owners hold it in their rooms). Audited
/// when the caller is not an owner of the room.
pub async fn delete(
    state: &AppState,
    caller: &User,
    ip: Option<std::net::IpAddr>,
    room: &Room,
) -> Result<()> {
    let Some(kind) = Kind::from_room_type(room.t) else {
        return Err(not_allowed("eraseRoom"));
    };
    if !has(state, caller, &kind.permission("delete"), Some(&room.id)).await? {
        return Err(not_allowed("eraseRoom"));
    }
    let by_owner = state
        .store
        .subscription(&room.id, &caller.id)
        .await?
        .is_some_and(|s| s.roles.iter().any(|r| r == "owner"));
    let subs = events::subscriptions_of(state, &room.id).await;
    state.store.delete_room(&room.id, now_ms()).await?;
    if !by_owner {
        let before = json!({
            "name": room.name,
            "t": room.t.code(),
            "creator": room.creator.as_ref().map(|c| json!({"_id": c.id, "username": c.username})),
            "usersCount": room.users_count,
            "msgs": room.msgs,
        });
        crate::services::audit::record(
            state,
            caller,
            ip,
            "room.delete",
            "room",
            &room.id,
            Some(before),
            None,
        )
        .await;
    }
    events::room_deleted(state, room, &subs);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Settings (`saveRoomSettings`)

fn editing_not_allowed(message: &str, action: &str) -> Error {
    Error::failure("error-action-not-allowed", message)
        .with_details(json!({"method": "saveRoomSettings", "action": action}))
}

/// `saveRoomSettings` starts with `edit-room` in the room.
async fn require_edit(state: &AppState, caller: &User, room: &Room) -> Result<()> {
    if has(state, caller, "edit-room", Some(&room.id)).await? {
        Ok(())
    } else {
        Err(editing_not_allowed(
            "Editing room is not allowed",
            "Editing_room",
        ))
    }
}

async fn patch_room(state: &AppState, room: &Room, patch: RoomPatch) -> Result<()> {
    state.store.update_room(&room.id, &patch, now_ms()).await?;
    events::room_updated(state, &room.id).await;
    Ok(())
}

/// `saveRoomName`: validates the name (`UTF8_Channel_Names_Validation`, free), renames the
/// room and its memberships and announces it (`r`).
pub async fn rename(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    name: &str,
) -> Result<()> {
    if kind == Kind::Channel && room.name.as_deref() == Some(name) {
        return Err(Error::plain(
            "The channel name is the same as what it would be renamed to.",
        ));
    }
    require_edit(state, caller, room).await?;
    let name = name.trim();
    if room.name.as_deref() == Some(name) || name.is_empty() {
        return Ok(());
    }
    rooms::check_room_name(state, name, Some(&room.id)).await?;
    let patch = RoomPatch {
        name: Some(name.to_owned()),
        fname: Some(name.to_owned()),
        ..RoomPatch::default()
    };
    match state.store.update_room(&room.id, &patch, now_ms()).await {
        Ok(_) => {}
        Err(ferrochat_store::StoreError::Duplicate(_)) => {
            return Err(Error::failure(
                "error-duplicate-channel-name",
                format!("A channel with name '{name}' exists"),
            )
            .with_details(json!({"function": "RocketChat.createRoom", "channel_name": name})));
        }
        Err(other) => return Err(other.into()),
    }
    events::room_updated(state, &room.id).await;
    announce(state, room, "r", name, caller, &[]).await
}

/// The free-text settings of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSetting {
    Topic,
    Description,
    /// Rocket.Chat's `setPurpose` writes the description.
    Purpose,
    Announcement,
}

impl TextSetting {
    pub fn param(self) -> &'static str {
        match self {
            TextSetting::Topic => "topic",
            TextSetting::Description => "description",
            TextSetting::Purpose => "purpose",
            TextSetting::Announcement => "announcement",
        }
    }

    fn current(self, room: &Room) -> Option<&str> {
        match self {
            TextSetting::Topic => room.topic.as_deref(),
            TextSetting::Description | TextSetting::Purpose => room.description.as_deref(),
            TextSetting::Announcement => room.announcement.as_deref(),
        }
    }

    fn same_message(self) -> Option<&'static str> {
        match self {
            TextSetting::Topic => {
                Some("The channel topic is the same as what it would be changed to.")
            }
            TextSetting::Description => {
                Some("The channel description is the same as what it would be changed to.")
            }
            TextSetting::Purpose => Some(
                "The channel purpose (description) is the same as what it would be changed to.",
            ),
            TextSetting::Announcement => None,
        }
    }
}

/// `setTopic` / `setDescription` / `setPurpose` / `setAnnouncement`: returns the value the
/// reply carries.
pub async fn set_text(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    setting: TextSetting,
    value: Option<String>,
) -> Result<String> {
    if kind == Kind::Channel
        && let Some(message) = setting.same_message()
        && value.is_some()
        && setting.current(room) == value.as_deref()
    {
        return Err(Error::plain(message));
    }
    require_edit(state, caller, room).await?;
    let value = value.unwrap_or_default();
    let current = setting.current(room).unwrap_or_default();
    if value == current {
        return Ok(value);
    }
    let stored = Some(Some(value.clone()));
    let (patch, t) = match setting {
        TextSetting::Topic => (
            RoomPatch {
                topic: stored,
                ..RoomPatch::default()
            },
            "room_changed_topic",
        ),
        TextSetting::Description | TextSetting::Purpose => (
            RoomPatch {
                description: stored,
                ..RoomPatch::default()
            },
            "room_changed_description",
        ),
        TextSetting::Announcement => (
            RoomPatch {
                announcement: stored,
                ..RoomPatch::default()
            },
            "room_changed_announcement",
        ),
    };
    patch_room(state, room, patch).await?;
    announce(state, room, t, &value, caller, &[]).await?;
    Ok(value)
}

/// `setReadOnly`: needs `edit-room` and `set-readonly`; broadcast rooms stay read-only.
pub async fn set_read_only(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    read_only: bool,
) -> Result<()> {
    if room.read_only == read_only {
        return Err(Error::plain(format!(
            "The {} read only setting is the same as what it would be changed to.",
            kind.noun()
        )));
    }
    require_edit(state, caller, room).await?;
    if !has(state, caller, "set-readonly", Some(&room.id)).await? {
        return Err(editing_not_allowed(
            "Editing room is not allowed",
            "Editing_room",
        ));
    }
    if room.broadcast && read_only {
        return Err(editing_not_allowed(
            "Editing readOnly/reactWhenReadOnly are not allowed for broadcast rooms",
            "Editing_room",
        ));
    }
    patch_room(
        state,
        room,
        RoomPatch {
            read_only: Some(read_only),
            ..RoomPatch::default()
        },
    )
    .await?;
    let t = if read_only {
        "room-set-read-only"
    } else {
        "room-removed-read-only"
    };
    announce(state, room, t, "", caller, &[]).await
}

/// `setType`: turns a channel into a private group or back (`create-p` / `create-c` too).
pub async fn set_type(
    state: &AppState,
    caller: &User,
    kind: Kind,
    room: &Room,
    t: &str,
) -> Result<()> {
    if t == room.t.code() {
        return Err(Error::plain(format!(
            "The {} type is the same as what it would be changed to.",
            kind.noun()
        )));
    }
    require_edit(state, caller, room).await?;
    if t == "c" && !has(state, caller, "create-c", None).await? {
        return Err(editing_not_allowed(
            "Changing a private group to a public channel is not allowed",
            "Change_Room_Type",
        ));
    }
    if t == "p" && !has(state, caller, "create-p", None).await? {
        return Err(editing_not_allowed(
            "Changing a public channel to a private room is not allowed",
            "Change_Room_Type",
        ));
    }
    let new_type = match RoomType::from_code(t) {
        Some(new_type @ (RoomType::Channel | RoomType::Group)) => new_type,
        _ => {
            return Err(
                Error::failure("error-invalid-room-type", "error-invalid-room-type")
                    .with_details(json!({"function": "RocketChat.saveRoomType", "type": t})),
            );
        }
    };
    patch_room(
        state,
        room,
        RoomPatch {
            t: Some(new_type),
            ..RoomPatch::default()
        },
    )
    .await?;
    let msg = if new_type == RoomType::Channel {
        "public"
    } else {
        "private"
    };
    announce(state, room, "room_changed_privacy", msg, caller, &[]).await
}

/// `setJoinCode`: channels with a code need it to be joined.
/// An empty code removes the room's join code.
pub async fn set_join_code(state: &AppState, caller: &User, room: &Room, code: &str) -> Result<()> {
    require_edit(state, caller, room).await?;
    let code = Some(code.to_owned()).filter(|c| !c.is_empty());
    patch_room(
        state,
        room,
        RoomPatch {
            join_code: Some(code),
            ..RoomPatch::default()
        },
    )
    .await
}

/// `setDefault`: default channels are joined by new users; needs `view-room-administration`.
/// With `refuse_same`, asking for the current value is an error (Rocket.Chat compares the
/// raw parameter, so only a boolean can be "the same").
pub async fn set_default(
    state: &AppState,
    caller: &User,
    room: &Room,
    is_default: bool,
    refuse_same: bool,
) -> Result<()> {
    if refuse_same && room.is_default == is_default {
        return Err(Error::plain_with_type(
            "The channel default setting is the same as what it would be changed to.",
            "error-channels-setdefault-missing-default-param",
        ));
    }
    require_edit(state, caller, room).await?;
    if !has(state, caller, "view-room-administration", None).await? {
        return Err(editing_not_allowed(
            "Viewing room administration is not allowed",
            "Viewing_room_administration",
        ));
    }
    patch_room(
        state,
        room,
        RoomPatch {
            is_default: Some(is_default),
            ..RoomPatch::default()
        },
    )
    .await
}

/// `setCustomFields`.
pub async fn set_custom_fields(
    state: &AppState,
    caller: &User,
    room: &Room,
    fields: Map<String, Value>,
) -> Result<()> {
    require_edit(state, caller, room).await?;
    patch_room(
        state,
        room,
        RoomPatch {
            custom_fields: Some(Value::Object(fields)),
            ..RoomPatch::default()
        },
    )
    .await
}

/// `setEncrypted` (private groups): toggling needs `toggle-room-e2e-encryption` in the room.
pub async fn set_encrypted(
    state: &AppState,
    caller: &User,
    room: &Room,
    encrypted: bool,
) -> Result<()> {
    require_edit(state, caller, room).await?;
    let changed = room.encrypted != encrypted;
    if changed {
        if room.t == RoomType::Channel {
            return Err(Error::failure(
                "error-action-not-allowed",
                "Only groups or direct channels can enable encryption",
            )
            .with_details(
                json!({"method": "saveRoomSettings", "action": "Change_Room_Encrypted"}),
            ));
        }
        if !has(state, caller, "toggle-room-e2e-encryption", Some(&room.id)).await? {
            return Err(Error::failure(
                "error-action-not-allowed",
                "You do not have permission to toggle E2E encryption",
            )
            .with_details(
                json!({"method": "saveRoomSettings", "action": "Change_Room_Encrypted"}),
            ));
        }
    }
    patch_room(
        state,
        room,
        RoomPatch {
            encrypted: Some(encrypted),
            ..RoomPatch::default()
        },
    )
    .await?;
    if changed {
        let t = if encrypted {
            "room_e2e_enabled"
        } else {
            "room_e2e_disabled"
        };
        announce(state, room, t, &caller.username, caller, &[]).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Room roles

/// The roles a membership can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRole {
    Owner,
    Moderator,
    Leader,
}

impl RoomRole {
    pub fn name(self) -> &'static str {
        match self {
            RoomRole::Owner => "owner",
            RoomRole::Moderator => "moderator",
            RoomRole::Leader => "leader",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "owner" => Some(RoomRole::Owner),
            "moderator" => Some(RoomRole::Moderator),
            "leader" => Some(RoomRole::Leader),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            RoomRole::Owner => "Owner",
            RoomRole::Moderator => "Moderator",
            RoomRole::Leader => "Leader",
        }
    }

    /// "an owner", "a moderator", "a leader".
    fn with_article(self) -> &'static str {
        match self {
            RoomRole::Owner => "an owner",
            RoomRole::Moderator => "a moderator",
            RoomRole::Leader => "a leader",
        }
    }
}

/// `addRoomOwner` / `addRoomModerator` / `addRoomLeader`.
pub async fn add_role(
    state: &AppState,
    caller: &User,
    room: &Room,
    target: &User,
    role: RoomRole,
) -> Result<()> {
    let method = format!("addRoom{}", role.title());
    if !has(
        state,
        caller,
        &format!("set-{}", role.name()),
        Some(&room.id),
    )
    .await?
    {
        return Err(not_allowed(&method));
    }
    let Some(sub) = state.store.subscription(&room.id, &target.id).await? else {
        return Err(
            Error::failure("error-user-not-in-room", "User is not in this room")
                .with_details(json!({"method": method})),
        );
    };
    if sub.roles.iter().any(|r| r == role.name()) {
        return Err(Error::failure(
            &format!("error-user-already-{}", role.name()),
            format!("User is already {}", role.with_article()),
        )
        .with_details(json!({"method": method})));
    }
    let mut roles = sub.roles.clone();
    roles.push(role.name().to_owned());
    let patch = SubscriptionPatch {
        roles: Some(roles),
        ..SubscriptionPatch::default()
    };
    state
        .store
        .update_subscription(&room.id, &target.id, &patch, now_ms())
        .await?;
    events::room_role_changed(state, room, target, role.name(), true).await;
    announce(
        state,
        room,
        "subscription-role-added",
        &target.username,
        caller,
        &[("role", Value::String(role.name().to_owned()))],
    )
    .await
}

/// `removeRoomOwner` / `removeRoomModerator` / `removeRoomLeader`. The last owner stays.
pub async fn remove_role(
    state: &AppState,
    caller: &User,
    room: &Room,
    target: &User,
    role: RoomRole,
) -> Result<()> {
    let method = format!("removeRoom{}", role.title());
    if !has(
        state,
        caller,
        &format!("set-{}", role.name()),
        Some(&room.id),
    )
    .await?
    {
        return Err(not_allowed(&method));
    }
    let Some(sub) = state.store.subscription(&room.id, &target.id).await? else {
        return Err(match role {
            RoomRole::Leader => {
                Error::failure("error-user-not-in-room", "User is not in this room")
            }
            _ => Error::failure("error-invalid-room", "Invalid room"),
        }
        .with_details(json!({"method": method})));
    };
    if !sub.roles.iter().any(|r| r == role.name()) {
        return Err(Error::failure(
            &format!("error-user-not-{}", role.name()),
            format!("User is not {}", role.with_article()),
        )
        .with_details(json!({"method": method})));
    }
    if role == RoomRole::Owner && owner_count(state, room).await? <= 1 {
        return Err(Error::failure(
            "error-remove-last-owner",
            "This is the last owner. Please set a new owner before removing this one.",
        )
        .with_details(json!({"method": method})));
    }
    let roles: Vec<String> = sub
        .roles
        .iter()
        .filter(|r| *r != role.name())
        .cloned()
        .collect();
    let patch = SubscriptionPatch {
        roles: Some(roles),
        ..SubscriptionPatch::default()
    };
    state
        .store
        .update_subscription(&room.id, &target.id, &patch, now_ms())
        .await?;
    events::room_role_changed(state, room, target, role.name(), false).await;
    announce(
        state,
        room,
        "subscription-role-removed",
        &target.username,
        caller,
        &[("role", Value::String(role.name().to_owned()))],
    )
    .await
}

/// The system message types a room may hide (`MessageTypesValues` of Rocket.Chat).
pub const HIDEABLE_SYSTEM_MESSAGES: &[&str] = &[
    "uj",
    "ujt",
    "ul",
    "ult",
    "ru",
    "au",
    "mute_unmute",
    "r",
    "ut",
    "wm",
    "rm",
    "subscription-role-added",
    "subscription-role-removed",
    "room-archived",
    "room-unarchived",
    "room_changed_privacy",
    "room_changed_avatar",
    "room_changed_topic",
    "room_e2e_enabled",
    "room_e2e_disabled",
    "message_pinned",
    "discussion-created",
];

/// `saveRoomSettings` `systemMessages`: the system message types this room hides (instead of
/// the server-wide `Hide_System_Messages`).
pub async fn set_system_messages(
    state: &AppState,
    caller: &User,
    room: &Room,
    types: &[String],
) -> Result<()> {
    require_edit(state, caller, room).await?;
    if let Some(unknown) = types
        .iter()
        .find(|t| !HIDEABLE_SYSTEM_MESSAGES.contains(&t.as_str()))
    {
        return Err(
            Error::failure("invalid-room", format!("Invalid option: {unknown}"))
                .with_details(json!({"function": "RocketChat.saveRoomSystemMessages"})),
        );
    }
    patch_room(
        state,
        room,
        RoomPatch {
            sys_mes: Some(json!(types)),
            ..RoomPatch::default()
        },
    )
    .await
}
