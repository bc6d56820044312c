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
