//! Room, membership and account methods: registering, syncing rooms, subscriptions and
//! permissions, looking rooms up, creating them, joining, leaving, opening, hiding,
//! favouring, and `spotlight`. Each calls the service function its REST twin calls
//! (`users.register`, `rooms.get`, `subscriptions.get`, `channels.create`, `groups.create`,
//! `im.create`, `channels.join`, `channels.leave`, `rooms.open`, `rooms.hide`,
//! `rooms.favorite`, `channels.roles`, `permissions.listAll`,
//! `roles.getUsersInPublicRoles`); results carry EJSON dates.

use ferrochat_model::time::parse_iso;
use ferrochat_model::{DateStyle, Room};
use serde_json::{Value, json};

use super::messages::{Fields, param_mismatch};
use super::{Args, MethodCtx, Outcome};
use crate::error::{Error, Result};
use crate::services::room_admin::{self, Kind};
use crate::services::rooms::NewRoom;
use crate::services::users::{self, Registration};
use crate::services::{access, direct, subscriptions, user_rooms};

/// Room and membership methods.
pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    let result = match name {
        "registerUser" => register_user(ctx, args).await,
        "rooms/get" => rooms_get(ctx, args).await,
        "subscriptions/get" => subscriptions_get(ctx, args).await,
        "permissions/get" => permissions_get(ctx, args).await,
        "getUserRoles" => get_user_roles(ctx).await,
        "getRoomRoles" => get_room_roles(ctx, args).await,
        "getRoomIdByNameOrId" => get_room_id_by_name_or_id(ctx, args).await,
        "getRoomNameById" => get_room_name_by_id(ctx, args).await,
        "createChannel" => create_room(ctx, args, Kind::Channel).await,
        "createPrivateGroup" => create_room(ctx, args, Kind::Group).await,
        "createDirectMessage" => create_direct_message(ctx, args).await,
        "joinRoom" => join_room(ctx, args).await,
        "leaveRoom" => leave_room(ctx, args).await,
        "openRoom" => open_room(ctx, args).await,
        "hideRoom" => hide_room(ctx, args).await,
        "toggleFavorite" => toggle_favorite(ctx, args).await,
        "spotlight" => spotlight(ctx, args).await,
        "browseChannels" => browse_channels(ctx, args).await,
        "saveRoomSettings" => save_room_settings(ctx, args).await,
        "muteUserInRoom" => mute_user(ctx, args, true).await,
        "unmuteUserInRoom" => mute_user(ctx, args, false).await,
        _ => return None,
    };
    Some(result.into())
}

fn not_allowed(method: &str) -> Error {
    Error::failure("error-not-allowed", "Not allowed").with_details(json!({"method": method}))
}

fn invalid_room(method: &str) -> Error {
    Error::failure("error-invalid-room", "Invalid room").with_details(json!({"method": method}))
}

/// The room `rid` names, or Rocket.Chat's `error-invalid-room`.
async fn room_by_id(ctx: &MethodCtx<'_>, rid: &str, method: &str) -> Result<Room> {
    ctx.state
        .store
        .room_by_id(rid)
        .await?
        .ok_or_else(|| invalid_room(method))
}

/// `{update, remove}` of a sync: the services date the removals in REST's ISO style.
fn sync_reply(update: Vec<Value>, remove: Vec<Value>) -> Value {
    let remove: Vec<Value> = remove
        .into_iter()
        .map(|mut item| {
            if let Some(ms) = item
                .get("_deletedAt")
                .and_then(Value::as_str)
                .and_then(parse_iso)
            {
                item["_deletedAt"] = DateStyle::EJson.date(ms);
            }
            item
        })
        .collect();
    json!({"update": update, "remove": remove})
}

// ---------------------------------------------------------------------------------------------
// Registering

/// `registerUser([{email, pass, name, username?, secretURL?, reason?}])`: the new user's id.
async fn register_user(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let form = Fields(args.object(0)?);
    let email = form.str("email")?;
    let pass = form.str("pass")?;
    let name = form.str("name")?;
    let username = form.opt_str("username")?;
    let secret = form.opt_str("secretURL")?;
    let reason = form.opt_str("reason")?;
    let registration = Registration {
        username: username.unwrap_or_default().to_owned(),
        email: email.to_owned(),
        pass: pass.to_owned(),
        name: Some(name.to_owned()),
        secret: secret.map(str::to_owned),
        reason: reason.map(str::to_owned),
        custom_fields: None,
    };
    let user = users::register_via_method(ctx.state, ctx.user.as_ref(), registration).await?;
    Ok(Value::String(user.id))
}

// ---------------------------------------------------------------------------------------------
// Syncing

/// `rooms/get([since?])`: the caller's rooms, or `{update, remove}` since a date.
async fn rooms_get(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let since = args.opt_date(0)?;
    let (update, remove) = user_rooms::sync(ctx.state, user, since).await?;
    let update: Vec<Value> = update.iter().map(|r| r.to_wire(DateStyle::EJson)).collect();
    Ok(match since {
        None => Value::Array(update),
        Some(_) => sync_reply(update, remove),
    })
}

/// `subscriptions/get([since?])`: the caller's subscriptions, or `{update, remove}`.
async fn subscriptions_get(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let since = args.opt_date(0)?;
    let (update, remove) = subscriptions::sync(ctx.state, user, since).await?;
    let update: Vec<Value> = update.iter().map(|s| s.to_wire(DateStyle::EJson)).collect();
    Ok(match since {
        None => Value::Array(update),
        Some(_) => sync_reply(update, remove),
    })
}

/// `permissions/get([since?])`: `[{_id, roles, _updatedAt}]`, or `{update, remove}`.
async fn permissions_get(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    ctx.user()?;
    let since = args.opt_date(0)?;
    let update: Vec<Value> = access::permissions(ctx.state, since)
        .await?
        .iter()
        .map(|p| access::permission_to_wire(p, DateStyle::EJson))
        .collect();
    Ok(match since {
        None => Value::Array(update),
        Some(_) => sync_reply(update, Vec::new()),
    })
}

/// `getUserRoles([])`: `[{_id, username, roles}]` of the users holding public roles.
async fn get_user_roles(ctx: &MethodCtx<'_>) -> Result<Value> {
    ctx.user()?;
    Ok(Value::Array(
        access::users_in_public_roles(ctx.state).await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Looking rooms up

/// `getRoomRoles([rid])`: the members holding room roles, `[{_id, rid, u, roles}]`.
async fn get_room_roles(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let Some(room) = user_rooms::find_readable(ctx.state, user, rid, false).await? else {
        return Err(invalid_room("getRoomRoles"));
    };
    Ok(Value::Array(
        room_admin::room_roles(ctx.state, &room).await?,
    ))
}

/// `getRoomIdByNameOrId([nameOrId])`: the id of a room the caller may see.
async fn get_room_id_by_name_or_id(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let key = args.str(0)?;
    match user_rooms::find_readable(ctx.state, user, key, true).await? {
        Some(room) => Ok(Value::String(room.id)),
        None => Err(not_allowed("getRoomIdByNameOrId")),
    }
}

/// `getRoomNameById([rid])`: the name of a room the caller may see.
async fn get_room_name_by_id(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    match user_rooms::find_readable(ctx.state, user, rid, false).await? {
        Some(room) => Ok(room.name.map_or(Value::Null, Value::String)),
        None => Err(not_allowed("getRoomNameById")),
    }
}

// ---------------------------------------------------------------------------------------------
// Creating rooms

/// `createChannel` / `createPrivateGroup([name, members, readOnly, customFields,
/// extraData])`: `{rid, inserted, ...room}`.
async fn create_room(ctx: &MethodCtx<'_>, args: &Args<'_>, kind: Kind) -> Result<Value> {
    let user = ctx.user()?;
    let name = args.str(0)?;
    let members = args.str_list(1)?;
    let read_only = args.opt_bool(2)?.unwrap_or(false);
    let custom_fields = args.opt_object(3)?.cloned().map(Value::Object);
    let extra = args.opt_object(4)?.map(Fields);
    let (topic, description, broadcast, encrypted) = match &extra {
        Some(extra) => (
            extra.opt_str("topic")?.map(str::to_owned),
            extra.opt_str("description")?.map(str::to_owned),
            extra.opt_bool("broadcast")?.unwrap_or(false),
            extra.opt_bool("encrypted")?.unwrap_or(false),
        ),
        None => (None, None, false, false),
    };
    let new = NewRoom {
        name: name.to_owned(),
        members,
        read_only,
        exclude_self: false,
        custom_fields,
        topic,
        description,
        broadcast,
        encrypted,
        is_default: false,
        ..NewRoom::default()
    };
    let room = room_admin::create(ctx.state, user, kind, new).await?;
    let mut doc = room.to_wire(DateStyle::EJson);
    doc["rid"] = Value::String(room.id);
    doc["inserted"] = Value::Bool(true);
    Ok(doc)
}

/// `createDirectMessage(...usernames)`: `{rid, t: 'd', usernames, ...room}`.
async fn create_direct_message(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let usernames = (0..args.len())
        .map(|i| args.str(i).map(str::to_owned))
        .collect::<Result<Vec<String>>>()?;
    let room = direct::create(ctx.state, user, &usernames, false).await?;
    let mut doc = room.to_wire(DateStyle::EJson);
    if let Some(map) = doc.as_object_mut() {
        map.remove("_id");
    }
    doc["rid"] = Value::String(room.id);
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// Membership and the caller's own state in a room

/// `joinRoom([rid, joinCode?])`: `true`.
async fn join_room(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let code = match args.get(1) {
        None => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(Value::Number(code)) => Some(code.to_string()),
        Some(_) => return Err(param_mismatch(1, "string")),
    };
    let room = room_by_id(ctx, rid, "joinRoom").await?;
    room_admin::join(ctx.state, user, &room, code.as_deref()).await?;
    Ok(Value::Bool(true))
}

/// `leaveRoom([rid])`.
async fn leave_room(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let room = room_by_id(ctx, rid, "leaveRoom").await?;
    room_admin::leave(ctx.state, user, &room).await?;
    Ok(Value::Null)
}

/// `openRoom([rid])`: how many subscriptions changed (0 or 1).
async fn open_room(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let was_closed = subscriptions::get_one(ctx.state, user, rid)
        .await?
        .is_some_and(|s| !s.open);
    subscriptions::open(ctx.state, user, rid).await?;
    Ok(json!(i64::from(was_closed)))
}

/// `hideRoom([rid])`: how many subscriptions changed (0 or 1).
async fn hide_room(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    match subscriptions::hide(ctx.state, user, rid).await {
        Ok(()) => Ok(json!(1)),
        // The REST twin's "already hidden" is the method's "nothing changed".
        Err(Error::Plain { message, .. }) if message == "error-room-already-hidden" => Ok(json!(0)),
        Err(e) => Err(e),
    }
}

/// `toggleFavorite([rid, favorite = true])`: 1.
async fn toggle_favorite(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let favorite = args.opt_bool(1)?.unwrap_or(true);
    let Some(room) = ctx.state.store.room_by_id(rid).await? else {
        return Err(Error::failure(
            "error-invalid-subscription",
            "You must be part of a room to favorite it",
        )
        .with_details(json!({"method": "toggleFavorite"})));
    };
    subscriptions::favorite(ctx.state, user, &room, favorite).await?;
    Ok(json!(1))
}

// ---------------------------------------------------------------------------------------------
// Search

/// A room as `spotlight` lists it.
fn spotlight_room(room: &Room) -> Value {
    let wire = room.to_wire(DateStyle::EJson);
    let mut item = json!({"_id": room.id, "t": room.t.code()});
    for key in ["name", "fname", "joinCodeRequired", "lastMessage"] {
        if let Some(value) = wire.get(key) {
            item[key] = value.clone();
        }
    }
    item
}

/// `spotlight([text, usernames, {users, rooms, mentions?, includeFederatedRooms?}, rid?])`:
/// `{users, rooms}` the caller may see. `#text` searches rooms only, `@text` users only.
/// `browseChannels({text, type, sortBy, sortDirection, offset, limit})`: the directory, as
/// `GET /api/v1/directory` gives it, answered `{results, total}`.
async fn browse_channels(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    use crate::services::directory::{self, Listing};
    let user = ctx.user()?;
    let empty = serde_json::Map::new();
    let options = Fields(args.opt_object(0)?.unwrap_or(&empty));
    let listing = Listing::parse(options.opt_str("type")?)?;
    let text = options.opt_str("text")?.unwrap_or_default();
    let ascending = !matches!(options.opt_str("sortDirection")?, Some("desc"));
    let column = match (listing, options.opt_str("sortBy")?.unwrap_or("name")) {
        (Listing::Channels, "name") => "name",
        (Listing::Channels, "usersCount") => "users_count",
        (Listing::Channels, "createdAt") => "ts",
        (Listing::Users, "name") => "name",
        (Listing::Users, "username") => "username",
        (Listing::Users, "createdAt") => "created_at",
        _ => return Err(Error::plain("Please verify the parameters")),
    };
    let limit = options.opt_i64("limit")?.unwrap_or(10).clamp(1, 100);
    let offset = options.opt_i64("offset")?.unwrap_or(0).max(0);
    let (results, total) = directory::browse(
        ctx.state,
        user,
        listing,
        text,
        ferrochat_store::Sort(vec![(column, ascending)]),
        ferrochat_store::Page {
            offset,
            count: Some(limit),
        },
    )
    .await?;
    Ok(json!({"results": results, "total": total}))
}

async fn spotlight(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let mut text = args.str(0)?;
    let usernames = args.str_list(1)?;
    let (mut want_users, mut want_rooms) = match args.opt_object(2)? {
        None => (true, true),
        Some(kinds) => {
            let kinds = Fields(kinds);
            kinds.opt_bool("mentions")?;
            kinds.opt_bool("includeFederatedRooms")?;
            (
                kinds.opt_bool("users")?.unwrap_or(false),
                kinds.opt_bool("rooms")?.unwrap_or(false),
            )
        }
    };
    args.opt_str(3)?;
    if let Some(rest) = text.strip_prefix('#') {
        want_users = false;
        text = rest;
    }
    if let Some(rest) = text.strip_prefix('@') {
        want_rooms = false;
        text = rest;
    }
    let found_users = if want_users {
        users::spotlight_users(ctx.state, user, text, &usernames).await?
    } else {
        Vec::new()
    };
    let found_rooms: Vec<Value> = if want_rooms {
        user_rooms::spotlight_rooms(ctx.state, user, text)
            .await?
            .iter()
            .map(spotlight_room)
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({"users": found_users, "rooms": found_rooms}))
}

/// `muteUserInRoom` / `unmuteUserInRoom`: `[{rid, username}]` → `true`.
async fn mute_user(ctx: &MethodCtx<'_>, args: &Args<'_>, mute: bool) -> Result<Value> {
    let user = ctx.user()?;
    let data = args.object(0)?;
    let (Some(Value::String(rid)), Some(Value::String(username))) =
        (data.get("rid"), data.get("username"))
    else {
        return Err(Error::InvalidParams {
            message: "Match error: Expected {rid: String, username: String} in parameter 0".into(),
            in_query: false,
        });
    };
    let method = if mute {
        "muteUserInRoom"
    } else {
        "unmuteUserInRoom"
    };
    let room = room_by_id(ctx, rid, method).await?;
    let target = ctx
        .state
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| {
            Error::failure("error-invalid-user", "Invalid user")
                .with_details(json!({"method": method}))
        })?;
    crate::services::muting::set_muted(ctx.state, user, &room, &target, mute).await?;
    Ok(Value::Bool(true))
}

/// `saveRoomSettings(rid, {key: value, ...})` or `saveRoomSettings(rid, key, value)`.
async fn save_room_settings(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let rid = args.str(0)?;
    let settings = match args.get(1) {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(key)) => {
            let mut map = serde_json::Map::new();
            map.insert(key.clone(), args.get(2).cloned().unwrap_or(Value::Null));
            map
        }
        _ => return Err(super::args::mismatch(1, "an object or a setting name")),
    };
    crate::services::room_settings::save(ctx.state, user, rid, &settings).await?;
    Ok(serde_json::json!({"result": true, "rid": rid}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_removals_carry_ejson_dates() {
        let reply = sync_reply(
            vec![],
            vec![json!({"_id": "r1", "_deletedAt": "2023-11-14T22:13:20.000Z"})],
        );
        assert_eq!(
            reply["remove"][0]["_deletedAt"],
            json!({"$date": 1_700_000_000_000i64})
        );
    }
}
