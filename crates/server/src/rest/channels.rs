//! `channels.*` (public rooms), and the handlers `groups.*` shares: every handler is generic
//! over `G` (false: channels, true: private groups) and calls one function of
//! [`crate::services::room_admin`], which holds the differences between the two families.

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::{get, post};
use ferrochat_model::time::parse_iso;
use ferrochat_model::{DateStyle, Room};
use ferrochat_store::Sort;
use serde_json::Value;
use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::gateway::{Auth, Caller};
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::history::HistoryRequest;
use crate::services::room_admin::{
    self, Kind, RoomRole, TextSetting, UserListSelector, UserSelector,
};
use crate::services::rooms::{NewRoom, RoomSelector};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    shared::<false>("channels")
        .route("/api/v1/channels.list", get(list_all::<false>))
        .route("/api/v1/channels.list.joined", get(list_joined::<false>))
        .route("/api/v1/channels.join", post(join))
        .route("/api/v1/channels.setJoinCode", post(set_join_code))
        .route("/api/v1/channels.setDefault", post(set_default))
}

/// The routes channels and groups have in common, under `/api/v1/<prefix>.`.
pub(crate) fn shared<const G: bool>(prefix: &str) -> Router<AppState> {
    let path = |name: &str| format!("/api/v1/{prefix}.{name}");
    Router::new()
        .route(&path("create"), post(create::<G>))
        .route(&path("info"), get(info::<G>))
        .route(&path("history"), get(history::<G>))
        .route(&path("messages"), get(messages::<G>))
        .route(&path("members"), get(members::<G>))
        .route(&path("online"), get(online::<G>))
        .route(&path("counters"), get(counters::<G>))
        .route(&path("roles"), get(roles::<G>))
        .route(&path("moderators"), get(moderators::<G>))
        .route(&path("leave"), post(leave::<G>))
        .route(&path("invite"), post(invite::<G>))
        .route(&path("kick"), post(kick::<G>))
        .route(&path("addAll"), post(add_all::<G>))
        .route(&path("archive"), post(archive::<G>))
        .route(&path("unarchive"), post(unarchive::<G>))
        .route(&path("close"), post(close::<G>))
        .route(&path("open"), post(open::<G>))
        .route(&path("delete"), post(delete::<G>))
        .route(&path("rename"), post(rename::<G>))
        .route(&path("setTopic"), post(set_topic::<G>))
        .route(&path("setDescription"), post(set_description::<G>))
        .route(&path("setPurpose"), post(set_purpose::<G>))
        .route(&path("setAnnouncement"), post(set_announcement::<G>))
        .route(&path("setReadOnly"), post(set_read_only::<G>))
        .route(&path("setType"), post(set_type::<G>))
        .route(&path("setCustomFields"), post(set_custom_fields::<G>))
        .route(&path("addOwner"), post(add_owner::<G>))
        .route(&path("removeOwner"), post(remove_owner::<G>))
        .route(&path("addModerator"), post(add_moderator::<G>))
        .route(&path("removeModerator"), post(remove_moderator::<G>))
        .route(&path("addLeader"), post(add_leader::<G>))
        .route(&path("removeLeader"), post(remove_leader::<G>))
}

const fn kind<const G: bool>() -> Kind {
    if G { Kind::Group } else { Kind::Channel }
}

fn selector(params: &Params) -> Result<RoomSelector> {
    Ok(RoomSelector {
        id: params.str("roomId")?,
        name: params.str("roomName")?,
    })
}

/// The room the request names (`roomId` / `roomName`).
async fn room<const G: bool>(
    state: &AppState,
    caller: &ferrochat_model::User,
    params: &Params,
    allow_archived: bool,
) -> Result<Room> {
    room_admin::locate(
        state,
        caller,
        kind::<G>(),
        &selector(params)?,
        allow_archived,
    )
    .await
}

fn room_reply(kind: Kind, room: &Room) -> Success {
    Success::new().with(kind.key(), room.to_wire(DateStyle::Iso))
}

async fn reloaded<const G: bool>(state: &AppState, room: &Room) -> Reply {
    let room = state
        .store
        .room_by_id(&room.id)
        .await?
        .unwrap_or_else(|| room.clone());
    Ok(room_reply(kind::<G>(), &room))
}

fn user_selector(params: &Params) -> Result<UserSelector> {
    let username = match params.str("username")? {
        Some(name) if !name.trim().is_empty() => Some(name),
        _ => params.str("user")?,
    };
    Ok(UserSelector {
        id: params.str("userId")?,
        username,
    })
}

// ---------------------------------------------------------------------------------------------
// Creation and reading

async fn create<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let prefix = if G { "Body param" } else { "Param" };
    if !G {
        // channels.create checks the permission before the parameters.
        room_admin::check_can_create(&state, &caller, kind).await?;
    }
    let name = params.str("name")?.unwrap_or_default();
    if name.is_empty() {
        return Err(Error::plain(format!("{prefix} \"name\" is required")));
    }
    let members = match params.value("members") {
        None => Vec::new(),
        Some(Value::Array(_)) => params.str_list("members")?.unwrap_or_default(),
        Some(_) => {
            return Err(Error::plain(format!(
                "{prefix} \"members\" must be an array if provided"
            )));
        }
    };
    let custom_fields = match params.value("customFields") {
        None => None,
        Some(value @ Value::Object(_)) => Some(value.clone()),
        Some(_) => {
            return Err(Error::plain(format!(
                "{prefix} \"customFields\" must be an object if provided"
            )));
        }
    };
    let extra = match params.value("extraData") {
        None => Params::default(),
        Some(Value::Object(map)) => Params::from_map(map.clone(), false),
        Some(_) if G => {
            return Err(Error::plain(
                "Body param \"extraData\" must be an object if provided",
            ));
        }
        Some(_) => return Err(params.invalid("'extraData' must be object")),
    };
    let new = NewRoom {
        name,
        members,
        read_only: params.bool("readOnly")?.unwrap_or(false),
        exclude_self: params.bool("excludeSelf")?.unwrap_or(false),
        custom_fields,
        topic: extra.str("topic")?,
        description: extra.str("description")?,
        broadcast: extra.bool("broadcast")?.unwrap_or(false),
        encrypted: extra.bool("encrypted")?.unwrap_or(false),
        is_default: false,
        ..NewRoom::default()
    };
    let room = room_admin::create(&state, &caller, kind, new).await?;
    Ok(room_reply(kind, &room))
}

async fn info<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, true).await?;
    Ok(room_reply(kind::<G>(), &room))
}

/// `channels.list` (all public channels) / `groups.listAll` (all private groups).
async fn list_all<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let paging = Paging::from_params(&state, &params)?;
    let mut filter = paging.filter(ferrochat_store::rooms::FIELDS)?;
    if let Some(id) = params.str("_id")? {
        filter = filter.eq_text("id", id);
    }
    let sort = by_name(paging.sort(ferrochat_store::rooms::FIELDS)?);
    let (rooms, total) =
        room_admin::list_all(&state, &caller, kind, &filter, &sort, paging.page()).await?;
    let items = rooms
        .iter()
        .map(|r| paging.project(r.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().page(kind.list_key(), items, paging.offset, total))
}

/// `channels.list.joined` / `groups.list`.
async fn list_joined<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let paging = Paging::from_params(&state, &params)?;
    let sort = by_name(paging.sort(ferrochat_store::rooms::FIELDS)?);
    let (rooms, total) =
        room_admin::list_joined(&state, &caller, kind, &sort, paging.page()).await?;
    let items = rooms
        .iter()
        .map(|r| paging.project(r.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().page(kind.list_key(), items, paging.offset, total))
}

/// Rocket.Chat sorts room lists by name unless told otherwise.
fn by_name(sort: Sort) -> Sort {
    if sort.0.is_empty() {
        Sort(vec![("name", true)])
    } else {
        sort
    }
}

/// `channels.history` and `channels.messages` take `roomId` only (their schemas require it);
/// the `groups.*` versions take `roomId` or `roomName`.
fn history_selector<const G: bool>(params: &Params) -> Result<RoomSelector> {
    if G {
        return selector(params);
    }
    Ok(RoomSelector {
        id: Some(params.req_str("roomId")?),
        name: None,
    })
}

fn date_param(params: &Params, key: &str) -> Result<Option<i64>> {
    match params.str(key)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => parse_iso(text.trim())
            .map(Some)
            .ok_or_else(|| params.invalid(format!("'{key}' must be a valid date"))),
    }
}

async fn history<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let selector = history_selector::<G>(&params)?;
    let (count, offset) = if G {
        (
            params.int("count")?.unwrap_or(20),
            params.int("offset")?.unwrap_or(0),
        )
    } else {
        let paging = Paging::from_params(&state, &params)?;
        (paging.count.unwrap_or(1000), paging.offset)
    };
    let req = HistoryRequest {
        latest: date_param(&params, "latest")?,
        oldest: date_param(&params, "oldest")?,
        inclusive: params.bool("inclusive")?.unwrap_or(false),
        count: count.max(0),
        offset: offset.max(0),
        unreads: params.bool("unreads")?.unwrap_or(false),
        // channels.history shows thread replies only when asked; groups.history unless told not to.
        show_thread_messages: params.bool("showThreadMessages")?.unwrap_or(G),
    };
    let room = room_admin::locate(&state, &caller, kind::<G>(), &selector, true).await?;
    let history = room_admin::history(&state, &caller, &room, &req).await?;
    Ok(Success::new().merge(history.to_wire(DateStyle::Iso)))
}

async fn messages<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let selector = history_selector::<G>(&params)?;
    let paging = Paging::from_params(&state, &params)?;
    let filter = paging.filter(ferrochat_store::messages::FIELDS)?;
    let sort = paging.sort(ferrochat_store::messages::FIELDS)?;
    // groups.messages refuses archived groups; channels.messages does not.
    let room = room_admin::locate(&state, &caller, kind, &selector, !G).await?;
    let (messages, total) =
        room_admin::messages(&state, &caller, kind, &room, &filter, &sort, paging.page()).await?;
    let items = messages
        .iter()
        .map(|m| paging.project(m.to_wire(DateStyle::Iso)))
        .collect();
    Ok(Success::new().page("messages", items, paging.offset, total))
}

async fn members<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let filter = params.str("filter")?;
    let statuses = params.str_list("status")?.unwrap_or_default();
    let room = room::<G>(&state, &caller, &params, !G).await?;
    let (members, total) = room_admin::members(
        &state,
        &caller,
        &room,
        filter.as_deref(),
        &statuses,
        paging.page(),
    )
    .await?;
    Ok(Success::new().page("members", members, paging.offset, total))
}

async fn online<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let id = match params.str("_id")? {
        Some(id) if !id.is_empty() => Some(id),
        _ => match params.json("query")? {
            Some(Value::Object(query)) => match query.get("_id") {
                Some(Value::String(id)) => Some(id.clone()),
                Some(_) => return Err(Error::plain("Invalid query")),
                None => None,
            },
            Some(_) => return Err(Error::plain("Invalid query")),
            None => None,
        },
    };
    let Some(id) = id else {
        return Err(Error::plain("Invalid query"));
    };
    let room = state
        .store
        .room_by_id(&id)
        .await?
        .filter(|r| r.t == kind.room_type());
    let Some(room) = room else {
        return Err(Error::plain(if G {
            "Group does not exists"
        } else {
            "Channel does not exists"
        }));
    };
    let online = room_admin::online(&state, &caller, &room).await?;
    Ok(Success::new().with("online", online))
}

async fn counters<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let selector = selector(&params)?;
    let user_id = params.str_nonempty("userId")?;
    let body =
        room_admin::counters(&state, &caller, kind::<G>(), &selector, user_id.as_deref()).await?;
    Ok(Success::new().merge(body))
}

async fn roles<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, false).await?;
    let roles = room_admin::room_roles(&state, &room).await?;
    Ok(Success::new().with("roles", roles))
}

async fn moderators<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, false).await?;
    let moderators = room_admin::moderators(&state, &room).await?;
    Ok(Success::new().with("moderators", moderators))
}

// ---------------------------------------------------------------------------------------------
// Membership

async fn join(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let join_code = match params.value("joinCode") {
        None => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(Value::Number(code)) => Some(code.to_string()),
        Some(_) => return Err(params.invalid("'joinCode' must be string")),
    };
    let room = room::<false>(&state, &caller, &params, false).await?;
    room_admin::join(&state, &caller, &room, join_code.as_deref()).await?;
    reloaded::<false>(&state, &room).await
}

async fn leave<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::leave(&state, &caller, &room).await?;
    if G {
        Ok(Success::new())
    } else {
        reloaded::<G>(&state, &room).await
    }
}

async fn invite<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let kind = kind::<G>();
    let selector = selector(&params)?;
    let users = UserListSelector {
        user_id: params.str("userId")?,
        username: match params.str("username")? {
            Some(name) if !name.is_empty() => Some(name),
            _ => params.str("user")?,
        },
        user_ids: params.str_list("userIds")?,
        usernames: params.str_list("usernames")?,
    };
    let room = room_admin::invite_target(&state, &caller, kind, &selector).await?;
    let users = room_admin::resolve_users(&state, &users).await?;
    room_admin::invite(&state, &caller, kind, &room, &users).await?;
    reloaded::<G>(&state, &room).await
}

async fn kick<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, G).await?;
    let target = room_admin::resolve_user(&state, &user_selector(&params)?).await?;
    room_admin::kick(&state, &caller, kind::<G>(), &room, &target).await?;
    if G {
        Ok(Success::new())
    } else {
        reloaded::<G>(&state, &room).await
    }
}

async fn add_all<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    // Rocket.Chat reads the flag loosely: `true`, `"true"` or `1`.
    let active_only = match params.value("activeUsersOnly") {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true" || text == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(_) => return Err(params.invalid("'activeUsersOnly' must be boolean")),
    };
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::add_all(&state, &caller, &room, active_only).await?;
    reloaded::<G>(&state, &room).await
}

async fn archive<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::archive(&state, &caller, &room).await?;
    Ok(Success::new())
}

async fn unarchive<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, true).await?;
    room_admin::unarchive(&state, &caller, kind::<G>(), &room).await?;
    Ok(Success::new())
}

async fn close<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, true).await?;
    room_admin::set_open(&state, &caller, kind::<G>(), &room, false).await?;
    Ok(Success::new())
}

async fn open<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, true).await?;
    room_admin::set_open(&state, &caller, kind::<G>(), &room, true).await?;
    Ok(Success::new())
}

async fn delete<const G: bool>(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, true).await?;
    room_admin::delete(&state, &caller, Some(peer.ip()), &room).await?;
    Ok(Success::new())
}

// ---------------------------------------------------------------------------------------------
// Settings

async fn rename<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let name = params.str("name")?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(Error::plain("The bodyParam \"name\" is required"));
    }
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::rename(&state, &caller, kind::<G>(), &room, &name).await?;
    reloaded::<G>(&state, &room).await
}

async fn set_text<const G: bool>(
    state: AppState,
    caller: ferrochat_model::User,
    params: Params,
    setting: TextSetting,
) -> Reply {
    let key = setting.param();
    if !params.raw().contains_key(key) {
        // channels.setAnnouncement validates its body with a schema.
        if !G && setting == TextSetting::Announcement {
            return Err(params.missing(key));
        }
        return Err(Error::plain(format!("The bodyParam \"{key}\" is required")));
    }
    let value = params.str(key)?;
    let room = room::<G>(&state, &caller, &params, false).await?;
    let value = room_admin::set_text(&state, &caller, kind::<G>(), &room, setting, value).await?;
    Ok(Success::new().with(key, value))
}

async fn set_topic<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    set_text::<G>(state, caller, params, TextSetting::Topic).await
}

async fn set_description<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    set_text::<G>(state, caller, params, TextSetting::Description).await
}

async fn set_purpose<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    set_text::<G>(state, caller, params, TextSetting::Purpose).await
}

async fn set_announcement<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    set_text::<G>(state, caller, params, TextSetting::Announcement).await
}

async fn set_read_only<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let read_only = match params.bool("readOnly")? {
        Some(flag) => flag,
        None if G => return Err(Error::plain("The bodyParam \"readOnly\" is required")),
        None => return Err(params.missing("readOnly")),
    };
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::set_read_only(&state, &caller, kind::<G>(), &room, read_only).await?;
    reloaded::<G>(&state, &room).await
}

async fn set_type<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let t = params.str("type")?.unwrap_or_default();
    if t.trim().is_empty() {
        return Err(Error::plain("The bodyParam \"type\" is required"));
    }
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::set_type(&state, &caller, kind::<G>(), &room, &t).await?;
    reloaded::<G>(&state, &room).await
}

async fn set_custom_fields<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let Some(Value::Object(fields)) = params.value("customFields") else {
        return Err(Error::plain(
            "The bodyParam \"customFields\" is required with a type like object.",
        ));
    };
    let fields = fields.clone();
    let room = room::<G>(&state, &caller, &params, false).await?;
    room_admin::set_custom_fields(&state, &caller, &room, fields).await?;
    reloaded::<G>(&state, &room).await
}

async fn set_join_code(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let code = params.str("joinCode")?.unwrap_or_default();
    if code.trim().is_empty() {
        return Err(Error::plain("The bodyParam \"joinCode\" is required"));
    }
    let room = room::<false>(&state, &caller, &params, false).await?;
    room_admin::set_join_code(&state, &caller, &room, &code).await?;
    reloaded::<false>(&state, &room).await
}

async fn set_default(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    // `default` is a boolean or a string ("true", "1", ...); only a boolean equal to the
    // current value counts as "the same".
    let (is_default, exact) = match params.value("default") {
        None => {
            return Err(Error::plain_with_type(
                "The bodyParam \"default\" is required",
                "error-channels-setdefault-is-same",
            ));
        }
        Some(Value::Bool(flag)) => (*flag, true),
        Some(Value::String(text)) => (matches!(text.to_lowercase().as_str(), "true" | "1"), false),
        Some(Value::Number(n)) => (n.to_string() == "1", false),
        Some(_) => return Err(params.invalid("'default' must be boolean")),
    };
    let room = room::<false>(&state, &caller, &params, false).await?;
    room_admin::set_default(&state, &caller, &room, is_default, exact).await?;
    reloaded::<false>(&state, &room).await
}

// ---------------------------------------------------------------------------------------------
// Room roles

async fn change_role<const G: bool>(
    state: AppState,
    caller: ferrochat_model::User,
    params: Params,
    role: RoomRole,
    add: bool,
) -> Reply {
    let room = room::<G>(&state, &caller, &params, false).await?;
    let target = room_admin::resolve_user(&state, &user_selector(&params)?).await?;
    if add {
        room_admin::add_role(&state, &caller, &room, &target, role).await?;
    } else {
        room_admin::remove_role(&state, &caller, &room, &target, role).await?;
    }
    Ok(Success::new())
}

async fn add_owner<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Owner, true).await
}

async fn remove_owner<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Owner, false).await
}

async fn add_moderator<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Moderator, true).await
}

async fn remove_moderator<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Moderator, false).await
}

async fn add_leader<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Leader, true).await
}

async fn remove_leader<const G: bool>(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    change_role::<G>(state, caller, params, RoomRole::Leader, false).await
}

// ---------------------------------------------------------------------------------------------
// groups-only handlers, shared here so that the two modules stay one implementation

/// `groups.setEncrypted`.
pub(crate) async fn set_encrypted(
    State(state): State<AppState>,
    Auth(Caller { user: caller, .. }): Auth,
    params: Params,
) -> Reply {
    let Some(Value::Bool(encrypted)) = params.value("encrypted") else {
        return Err(Error::plain("The bodyParam \"encrypted\" is required"));
    };
    let encrypted = *encrypted;
    let room = room::<true>(&state, &caller, &params, false).await?;
    room_admin::set_encrypted(&state, &caller, &room, encrypted).await?;
    reloaded::<true>(&state, &room).await
}

/// `groups.list` / `groups.listAll`.
pub(crate) fn group_lists() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups.list", get(list_joined::<true>))
        .route("/api/v1/groups.listAll", get(list_all::<true>))
}
