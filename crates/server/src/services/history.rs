//! Reading a room: history windows, message lists, members and counters. Shared by the
//! channel, group and direct-message endpoints (and DDP's `loadHistory`).

use ferrochat_model::{DateStyle, Message, Room, User};
use ferrochat_store::messages::HistoryQuery;
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Value, json};

use crate::error::Result;
use crate::services::rooms;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct HistoryRequest {
    pub latest: Option<i64>,
    pub oldest: Option<i64>,
    pub inclusive: bool,
    pub count: i64,
    pub offset: i64,
    pub unreads: bool,
    pub show_thread_messages: bool,
}

impl Default for HistoryRequest {
    fn default() -> Self {
        Self {
            latest: None,
            oldest: None,
            inclusive: false,
            count: 20,
            offset: 0,
            unreads: false,
            show_thread_messages: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct History {
    /// Newest first.
    pub messages: Vec<Message>,
    pub first_unread: Option<Message>,
    pub unread_not_loaded: Option<i64>,
}

/// The system message types a room's history leaves out: the room's own `sysMes` list when
/// it has one, else the `Hide_System_Messages` setting (`mute_unmute` standing for both).
pub fn hidden_system_types(state: &AppState, room: &Room) -> Vec<String> {
    let listed = match &room.sys_mes {
        Some(Value::Array(types)) => types.clone(),
        _ => match state.settings.value("Hide_System_Messages") {
            Value::Array(types) => types,
            _ => Vec::new(),
        },
    };
    let mut hidden = Vec::new();
    for t in listed.iter().filter_map(Value::as_str) {
        if t == "mute_unmute" {
            hidden.extend(["user-muted".to_owned(), "user-unmuted".to_owned()]);
        } else {
            hidden.push(t.to_owned());
        }
    }
    hidden
}

/// A window of the room's history, newest first, as `channels.history` and `loadHistory`
/// return it.
pub async fn history(
    state: &AppState,
    user: &User,
    room: &Room,
    req: &HistoryRequest,
) -> Result<History> {
    rooms::require_read(state, room, user).await?;
    let messages = state
        .store
        .room_history(
            &room.id,
            &HistoryQuery {
                latest: req.latest,
                oldest: req.oldest,
                inclusive: req.inclusive,
                offset: req.offset,
                count: req.count.clamp(0, 1000),
                show_thread_messages: req.show_thread_messages,
                hidden_types: hidden_system_types(state, room),
            },
        )
        .await?;
    let mut history = History {
        messages,
        first_unread: None,
        unread_not_loaded: None,
    };
    if req.unreads
        && let Some(sub) = state.store.subscription(&room.id, &user.id).await?
        && let Some(ls) = sub.ls
    {
        // The oldest unread message, and how many unread ones are older than this window.
        let unread = state
            .store
            .room_history(
                &room.id,
                &HistoryQuery {
                    latest: history.messages.last().map(|m| m.ts),
                    oldest: Some(ls),
                    inclusive: false,
                    offset: 0,
                    count: i64::MAX / 2,
                    show_thread_messages: req.show_thread_messages,
                    hidden_types: Vec::new(),
                },
            )
            .await?;
        history.unread_not_loaded = Some(unread.len() as i64);
        history.first_unread = unread
            .last()
            .cloned()
            .or_else(|| history.messages.iter().rev().find(|m| m.ts > ls).cloned());
    }
    Ok(history)
}

impl History {
    /// `{messages, [firstUnread, unreadNotLoaded]}` with the given date style.
    pub fn to_wire(&self, style: DateStyle) -> Value {
        let mut body = json!({
            "messages": self.messages.iter().map(|m| m.to_wire(style)).collect::<Vec<_>>(),
        });
        if let Some(count) = self.unread_not_loaded {
            body["unreadNotLoaded"] = json!(count);
        }
        if let Some(first) = &self.first_unread {
            body["firstUnread"] = first.to_wire(style);
        }
        body
    }
}

/// A page of the room's messages (`channels.messages`): filtered, sorted, counted.
pub async fn messages(
    state: &AppState,
    user: &User,
    room: &Room,
    filter: &Filter,
    sort: &Sort,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    rooms::require_read(state, room, user).await?;
    Ok(state
        .store
        .room_messages(&room.id, filter, sort, page)
        .await?)
}

/// Members of the room as `channels.members` lists them.
pub async fn members(
    state: &AppState,
    user: &User,
    room: &Room,
    filter: Option<&str>,
    statuses: &[String],
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    rooms::require_read(state, room, user).await?;
    let (members, total) = state
        .store
        .room_members(&room.id, filter, statuses, page)
        .await?;
    let docs = members
        .into_iter()
        .map(|m| {
            let mut doc = json!({
                "_id": m.user.id,
                "username": m.user.username,
                "name": m.user.name,
                "status": m.user.status,
                "statusText": m.user.status_text,
                "utcOffset": m.user.utc_offset,
                "_updatedAt": DateStyle::Iso.date(m.user.updated_at),
            });
            if let Some(etag) = m.user.avatar_etag {
                doc["avatarETag"] = Value::String(etag);
            }
            if !m.roles.is_empty() {
                doc["roles"] = json!(m.roles);
            }
            doc
        })
        .collect();
    Ok((docs, total))
}

/// `channels.counters`: membership and unread figures for `of` (the caller by default).
pub async fn counters(state: &AppState, room: &Room, of: &User) -> Result<Value> {
    let sub = state.store.subscription(&room.id, &of.id).await?;
    let latest = room.lm.map(|ms| DateStyle::Iso.date(ms));
    Ok(match sub {
        Some(sub) => {
            let since = sub.ls.unwrap_or(sub.ts);
            let unreads = state
                .store
                .count_messages_after(&room.id, since, &of.id)
                .await?;
            json!({
                "joined": true,
                "members": room.users_count,
                "unreads": unreads,
                "unreadsFrom": DateStyle::Iso.date(since),
                "msgs": room.msgs,
                "latest": latest,
                "userMentions": sub.user_mentions,
            })
        }
        None => json!({
            "joined": false,
            "members": room.users_count,
            "unreads": Value::Null,
            "unreadsFrom": Value::Null,
            "msgs": room.msgs,
            "latest": latest,
            "userMentions": 0,
        }),
    })
}

// ---------------------------------------------------------------------------------------------
// The DDP history windows: `loadHistory`, `loadNextMessages`, `loadSurroundingMessages` and
// `loadMissedMessages`. Each answers `None` when the room (or message) does not exist or the
// caller may not read it; the methods then return `false`, as Rocket.Chat's do.

/// The room `rid` when it exists and the caller may read it.
async fn readable(state: &AppState, user: &User, rid: &str) -> Result<Option<Room>> {
    match state.store.room_by_id(rid).await? {
        Some(room) if rooms::can_read(state, &room, user).await? => Ok(Some(room)),
        _ => Ok(None),
    }
}

/// `loadHistory` (`loadMessageHistory`): up to `limit` messages before `end` (all the
/// newest without it), newest first. With `ls` (when the caller last looked), the oldest
/// unread message older than the window and how many unread ones it does not hold.
pub async fn load_history(
    state: &AppState,
    user: &User,
    rid: &str,
    end: Option<i64>,
    limit: i64,
    ls: Option<i64>,
    show_thread_messages: bool,
) -> Result<Option<History>> {
    let Some(room) = readable(state, user, rid).await? else {
        return Ok(None);
    };
    let req = HistoryRequest {
        latest: end,
        count: limit,
        show_thread_messages,
        ..HistoryRequest::default()
    };
    let mut loaded = history(state, user, &room, &req).await?;
    loaded.unread_not_loaded = Some(0);
    if let Some(ls) = ls
        && let Some(oldest) = loaded.messages.last().map(|m| m.ts)
        && oldest > ls
    {
        let unread = state
            .store
            .room_history(
                &room.id,
                &HistoryQuery {
                    latest: Some(oldest),
                    oldest: Some(ls),
                    inclusive: false,
                    offset: 0,
                    count: i64::MAX / 2,
                    show_thread_messages,
                    hidden_types: Vec::new(),
                },
            )
            .await?;
        loaded.unread_not_loaded = Some(unread.len() as i64);
        loaded.first_unread = unread.last().cloned();
    }
    Ok(Some(loaded))
}

/// Messages strictly after `after` (from the first without it), oldest first.
async fn window_after(
    state: &AppState,
    user: &User,
    room: &Room,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>> {
    let fields = ferrochat_store::messages::FIELDS;
    let filter = match after {
        Some(ts) => Filter::from_mongo(&json!({"ts": {"$gt": ts}}), fields)?,
        None => Filter::default(),
    };
    let sort = Sort::from_mongo(&json!({"ts": 1}), fields)?;
    let page = Page {
        offset: 0,
        count: Some(limit.clamp(0, 1000)),
    };
    Ok(messages(state, user, room, &filter, &sort, page).await?.0)
}

/// `loadNextMessages`: up to `limit` messages after `end` (the room's first ones without
/// it), oldest first.
pub async fn load_next(
    state: &AppState,
    user: &User,
    rid: &str,
    end: Option<i64>,
    limit: i64,
) -> Result<Option<Vec<Message>>> {
    let Some(room) = readable(state, user, rid).await? else {
        return Ok(None);
    };
    Ok(Some(window_after(state, user, &room, end, limit).await?))
}

/// What `loadSurroundingMessages` returns: the messages around one, and whether there are
/// more on either side.
pub struct Surrounding {
    pub messages: Vec<Message>,
    pub more_before: bool,
    pub more_after: bool,
}

/// `loadSurroundingMessages`: the message `msg_id` with up to `limit - 1` messages around
/// it, half before (newest first) and half after (oldest first), in Rocket.Chat's order.
pub async fn load_surrounding(
    state: &AppState,
    user: &User,
    msg_id: &str,
    limit: i64,
) -> Result<Option<Surrounding>> {
    let Some(main) = state.store.message_by_id(msg_id).await? else {
        return Ok(None);
    };
    let Some(room) = readable(state, user, &main.rid).await? else {
        return Ok(None);
    };
    let limit = (limit - 1).clamp(0, 1000);
    let before_count = (limit + 1) / 2;
    let after_count = limit / 2;
    let mut found = state
        .store
        .room_history(
            &room.id,
            &HistoryQuery {
                latest: Some(main.ts),
                oldest: None,
                inclusive: false,
                offset: 0,
                count: before_count,
                show_thread_messages: true,
                hidden_types: Vec::new(),
            },
        )
        .await?;
    let more_before = found.len() as i64 == before_count;
    let after = window_after(state, user, &room, Some(main.ts), after_count).await?;
    let more_after = after.len() as i64 == after_count;
    found.push(main);
    found.extend(after);
    Ok(Some(Surrounding {
        messages: found,
        more_before,
        more_after,
    }))
}

/// `loadMissedMessages`: the messages after `start`, newest first (at most 1000).
pub async fn load_missed(
    state: &AppState,
    user: &User,
    rid: &str,
    start: i64,
) -> Result<Option<Vec<Message>>> {
    let Some(room) = readable(state, user, rid).await? else {
        return Ok(None);
    };
    let req = HistoryRequest {
        oldest: Some(start),
        count: 1000,
        ..HistoryRequest::default()
    };
    Ok(Some(history(state, user, &room, &req).await?.messages))
}
