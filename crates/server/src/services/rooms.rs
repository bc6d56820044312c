//! Rooms: lookup with Rocket.Chat's errors, access rules, creation and membership. The
//! channel, group and direct-message endpoints build on these.

use ferrochat_model::names::NameRule;
use ferrochat_model::time::now_ms;
use ferrochat_model::{Room, RoomType, Subscription, User, UserRef, ids};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::{events, messages};
use crate::state::AppState;

/// How a request names a room: `roomId` or `roomName`.
#[derive(Debug, Clone, Default)]
pub struct RoomSelector {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// Which family of endpoints is asking; it decides the wording of errors and which room
/// types match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomFamily {
    Channel,
    Group,
    Direct,
    Any,
}

impl RoomFamily {
    fn noun(self) -> &'static str {
        match self {
            RoomFamily::Channel => "channel",
            RoomFamily::Group => "group",
            RoomFamily::Direct | RoomFamily::Any => "room",
        }
    }

    fn matches(self, t: RoomType) -> bool {
        match self {
            RoomFamily::Channel => t == RoomType::Channel,
            RoomFamily::Group => t == RoomType::Group,
            RoomFamily::Direct => t == RoomType::Direct,
            RoomFamily::Any => true,
        }
    }
}

pub fn room_not_found(family: RoomFamily) -> Error {
    Error::failure(
        "error-room-not-found",
        format!(
            "The required \"roomId\" or \"roomName\" param provided does not match any {}",
            family.noun()
        ),
    )
}

/// Finds the room a request names. Private rooms the caller is not in are reported as not
/// found, so their existence does not leak.
pub async fn find(
    state: &AppState,
    caller: &User,
    selector: &RoomSelector,
    family: RoomFamily,
) -> Result<Room> {
    let room = match (&selector.id, &selector.name) {
        (Some(id), _) if !id.trim().is_empty() => state.store.room_by_id(id.trim()).await?,
        (_, Some(name)) if !name.trim().is_empty() => {
            let name = name.trim().trim_start_matches('#');
            state.store.room_by_name(name).await?
        }
        _ => {
            return Err(Error::failure(
                "error-roomid-param-not-provided",
                "The parameter \"roomId\" or \"roomName\" is required",
            ));
        }
    };
    let Some(room) = room.filter(|r| family.matches(r.t)) else {
        return Err(room_not_found(family));
    };
    if room.t != RoomType::Channel && !is_member(state, &room, caller).await? {
        return Err(room_not_found(family));
    }
    Ok(room)
}

pub async fn is_member(state: &AppState, room: &Room, user: &User) -> Result<bool> {
    Ok(state.store.is_member(&room.id, &user.id).await?)
}

/// `canAccessRoom`: members may read any room; public channels are readable with
/// `view-c-room` (or `preview-c-room`).
pub async fn can_read(state: &AppState, room: &Room, user: &User) -> Result<bool> {
    Ok(is_member(state, room, user).await? || can_read_as_non_member(state, room, user).await?)
}

/// The room `rid` and whether `user` may read it, as [`can_read`] decides, with the room and
/// the membership read together; `None` when there is no such room.
pub async fn room_with_read_access(
    state: &AppState,
    rid: &str,
    user: &User,
) -> Result<Option<(Room, bool)>> {
    let Some((room, member)) = state.store.room_with_membership(rid, &user.id).await? else {
        return Ok(None);
    };
    let readable = member || can_read_as_non_member(state, &room, user).await?;
    Ok(Some((room, readable)))
}

async fn can_read_as_non_member(state: &AppState, room: &Room, user: &User) -> Result<bool> {
    if room.t == RoomType::Channel {
        return state
            .authz
            .has_any(
                &state.store,
                user,
                &["view-c-room", "preview-c-room"],
                Some(&room.id),
            )
            .await;
    }
    Ok(false)
}

pub async fn require_read(state: &AppState, room: &Room, user: &User) -> Result<()> {
    if can_read(state, room, user).await? {
        Ok(())
    } else {
        Err(read_denied())
    }
}

/// The error of a room the caller may not read.
pub fn read_denied() -> Error {
    Error::failure("error-not-allowed", "Not allowed")
}

pub fn channel_name_rule(state: &AppState) -> NameRule {
    NameRule::new(&state.settings.string("UTF8_Channel_Names_Validation"))
        .unwrap_or_else(|_| NameRule::default_rule())
}

/// Validates a channel or group name and checks it is free (ignoring `except_room`).
pub async fn check_room_name(
    state: &AppState,
    name: &str,
    except_room: Option<&str>,
) -> Result<()> {
    if !channel_name_rule(state).is_valid(name) {
        return Err(Error::failure(
            "error-invalid-room-name",
            format!("{name} is not a valid room name"),
        )
        .with_details(json!({"function": "RocketChat.createRoom", "channel_name": name})));
    }
    if let Some(existing) = state.store.room_by_name(name).await?
        && Some(existing.id.as_str()) != except_room
    {
        return Err(Error::failure(
            "error-duplicate-channel-name",
            format!("A channel with name '{name}' exists"),
        )
        .with_details(json!({"function": "RocketChat.createRoom", "channel_name": name})));
    }
    Ok(())
}

/// The membership record of `user` in `room`. Direct rooms are named after the other
/// participants.
pub fn new_subscription(
    room: &Room,
    user: &User,
    roles: Vec<String>,
    others: &[User],
    now: i64,
) -> Subscription {
    let (name, fname) = match room.t {
        RoomType::Direct => {
            let others: Vec<&User> = others.iter().filter(|o| o.id != user.id).collect();
            if others.is_empty() {
                (user.username.clone(), Some(user.name.clone()))
            } else {
                (
                    others
                        .iter()
                        .map(|o| o.username.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    Some(
                        others
                            .iter()
                            .map(|o| o.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                )
            }
        }
        _ => {
            let name = room.name.clone().unwrap_or_default();
            (name.clone(), Some(room.fname.clone().unwrap_or(name)))
        }
    };
    Subscription {
        id: ids::random_id(),
        rid: room.id.clone(),
        user: UserRef {
            id: user.id.clone(),
            username: user.username.clone(),
            name: Some(user.name.clone()),
        },
        t: room.t,
        name,
        fname,
        ts: now,
        ls: Some(now),
        lr: None,
        updated_at: now,
        open: true,
        alert: false,
        unread: 0,
        user_mentions: 0,
        group_mentions: 0,
        roles,
        favorite: false,
        archived: room.archived,
        extra: Map::new(),
    }
}

/// Adds a user to a channel or group, announcing it with a system message: `uj` when the
/// user joined by themselves, `au` when someone added them. Returns false when the user
/// was already a member.
pub async fn add_member(
    state: &AppState,
    room: &Room,
    user: &User,
    roles: Vec<String>,
    by: Option<&User>,
) -> Result<bool> {
    let now = now_ms();
    let sub = new_subscription(room, user, roles, &[], now);
    if !state.store.add_subscription(&sub).await? {
        return Ok(false);
    }
    events::member_added(state, &room.id, &user.id).await;
    if room.t != RoomType::Direct {
        match by {
            Some(actor) if actor.id != user.id => {
                messages::system(state, room, "au", &user.username, actor).await?;
            }
            _ => {
                messages::system(state, room, "uj", &user.username, user).await?;
            }
        }
    }
    Ok(true)
}

/// Removes a user from a room: `ul` when they left, `ru` when someone removed them.
pub async fn remove_member(
    state: &AppState,
    room: &Room,
    user: &User,
    by: Option<&User>,
) -> Result<bool> {
    if !state
        .store
        .remove_subscription(&room.id, &user.id, now_ms())
        .await?
    {
        return Ok(false);
    }
    events::member_removed(state, room, &user.id).await;
    if room.t != RoomType::Direct {
        match by {
            Some(actor) if actor.id != user.id => {
                messages::system(state, room, "ru", &user.username, actor).await?;
            }
            _ => {
                messages::system(state, room, "ul", &user.username, user).await?;
            }
        }
    }
    Ok(true)
}

/// What `channels.create` / `groups.create` (and the DDP methods) ask for.
#[derive(Debug, Clone, Default)]
pub struct NewRoom {
    pub name: String,
    pub members: Vec<String>,
    pub read_only: bool,
    pub exclude_self: bool,
    pub custom_fields: Option<Value>,
    pub topic: Option<String>,
    pub description: Option<String>,
    pub broadcast: bool,
    pub encrypted: bool,
    pub is_default: bool,
    /// Display name when it differs from `name` (discussions).
    pub fname: Option<String>,
    /// The parent room of a discussion.
    pub prid: Option<String>,
}

/// Creates a channel (`c`) or private group (`p`); the creator becomes its owner unless
/// `exclude_self` (which needs the right to create on others' behalf, as in Rocket.Chat).
pub async fn create(state: &AppState, creator: &User, t: RoomType, new: NewRoom) -> Result<Room> {
    let permission = match t {
        RoomType::Channel => "create-c",
        RoomType::Group => "create-p",
        RoomType::Direct => {
            return Err(Error::failure(
                "error-invalid-room-type",
                "Invalid room type",
            ));
        }
    };
    state
        .authz
        .require(&state.store, creator, permission, None)
        .await?;
    create_unchecked(state, creator, t, new).await
}

/// [`create`] without the `create-c` / `create-p` check, for callers that checked their own
/// permission (a discussion needs `start-discussion`).
pub async fn create_unchecked(
    state: &AppState,
    creator: &User,
    t: RoomType,
    new: NewRoom,
) -> Result<Room> {
    let name = new.name.trim().to_owned();
    check_room_name(state, &name, None).await?;
    let mut members: Vec<User> = Vec::new();
    for username in &new.members {
        let username = username.trim().trim_start_matches('@');
        if username.is_empty() || username == creator.username {
            continue;
        }
        // Rocket.Chat's `createRoom` looks the members up in one query and silently skips
        // names that match no user.
        let Some(member) = state.store.user_by_username(username).await? else {
            continue;
        };
        if !members.iter().any(|m| m.id == member.id) {
            members.push(member);
        }
    }
    let now = now_ms();
    let room = Room {
        fname: Some(new.fname.clone().unwrap_or_else(|| name.clone())),
        name: Some(name),
        prid: new.prid.clone(),
        creator: Some(UserRef {
            id: creator.id.clone(),
            username: creator.username.clone(),
            name: None,
        }),
        read_only: new.read_only || new.broadcast,
        is_default: new.is_default,
        broadcast: new.broadcast,
        encrypted: new.encrypted,
        topic: new.topic.filter(|s| !s.is_empty()),
        description: new.description.filter(|s| !s.is_empty()),
        custom_fields: new.custom_fields.clone(),
        ..Room::new(ids::random_id(), t, now)
    };
    let mut subs = Vec::new();
    if !new.exclude_self {
        subs.push(new_subscription(
            &room,
            creator,
            vec!["owner".into()],
            &[],
            now,
        ));
    }
    for member in &members {
        subs.push(new_subscription(&room, member, Vec::new(), &[], now));
    }
    state
        .store
        .create_room(&room, &subs)
        .await
        .map_err(|e| match e {
            ferrochat_store::StoreError::Duplicate(_) => Error::failure(
                "error-duplicate-channel-name",
                format!(
                    "A channel with name '{}' exists",
                    room.name.clone().unwrap_or_default()
                ),
            ),
            other => other.into(),
        })?;
    events::room_created(state, &room.id).await;
    Ok(state.store.room_by_id(&room.id).await?.unwrap_or(room))
}
