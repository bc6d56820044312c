//! Discussions (`rooms.createDiscussion`, `createDiscussion`, `rooms.getDiscussions`,
//! `chat.getDiscussions`): a room of its own (`prid` = the parent room) announced in the parent
//! by a `discussion-created` message; the announcing messages (and the message it was started
//! from, if any) carry `drid` and count the discussion's messages (`dcount`, `dlm`).

use ferrochat_model::time::now_ms;
use ferrochat_model::{Message, Room, RoomType, User, ids};
use ferrochat_store::message_state::Selection;
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::messages::{self, NewMessage};
use crate::services::rooms::{self, NewRoom};
use crate::services::{events, message_access};
use crate::state::AppState;

/// What `rooms.createDiscussion` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewDiscussion {
    pub prid: String,
    pub pmid: Option<String>,
    pub name: String,
    pub usernames: Vec<String>,
    pub reply: Option<String>,
    pub encrypted: bool,
}

fn refused(reason: &str) -> Error {
    Error::failure("error-action-not-allowed", reason)
        .with_details(json!({"method": "createDiscussion"}))
}

pub async fn create(state: &AppState, caller: &User, new: NewDiscussion) -> Result<Room> {
    if !state.settings.bool("Discussion_enabled") {
        return Err(refused("You must enable Discussion to use it"));
    }
    let name = new.name.trim();
    if name.is_empty() {
        return Err(
            Error::failure("error-invalid-name", "Discussion name is required")
                .with_details(json!({"method": "createDiscussion"})),
        );
    }
    let parent = message_access::readable_room(state, caller, &new.prid)
        .await
        .map_err(|_| {
            Error::failure("error-invalid-room", "Invalid room")
                .with_details(json!({"method": "createDiscussion"}))
        })?;
    if parent.prid.is_some() {
        return Err(refused("Cannot create a discussion from a discussion"));
    }
    if !state
        .authz
        .has_any(
            &state.store,
            caller,
            &["start-discussion", "start-discussion-other-user"],
            Some(&parent.id),
        )
        .await?
    {
        return Err(refused("You are not allowed to create a discussion"));
    }
    let origin = match &new.pmid {
        Some(pmid) => {
            let message = state
                .store
                .message_by_id(pmid)
                .await?
                .filter(|m| m.rid == parent.id)
                .ok_or_else(|| refused("Message not found in this room"))?;
            if message.extra.contains_key("drid") {
                return Err(refused("This message already started a discussion"));
            }
            Some(message)
        }
        None => None,
    };
    let t = match parent.t {
        RoomType::Channel => RoomType::Channel,
        RoomType::Group | RoomType::Direct => RoomType::Group,
    };
    let room = rooms::create_unchecked(
        state,
        caller,
        t,
        NewRoom {
            name: ids::random_id(),
            fname: Some(name.to_owned()),
            prid: Some(parent.id.clone()),
            members: new.usernames.clone(),
            encrypted: new.encrypted,
            description: origin.as_ref().map(|m| m.msg.clone()),
            ..NewRoom::default()
        },
    )
    .await?;
    messages::system_with(
        state,
        &parent,
        "discussion-created",
        name,
        caller,
        &[("drid", json!(room.id))],
    )
    .await?;
    if let Some(origin) = origin {
        let drid = room.id.clone();
        let now = now_ms();
        let changed = state
            .store
            .modify_message(&origin.id, |message| {
                message.extra.insert("drid".into(), json!(drid));
                message.extra.insert("dcount".into(), json!(0));
                message.updated_at = now;
                Ok::<_, Error>(Some(()))
            })
            .await?;
        if let Some((message, _)) = changed {
            events::message_saved(state, &message, false).await;
        }
    }
    if let Some(reply) = new.reply.filter(|r| !r.trim().is_empty()) {
        let first = NewMessage {
            msg: reply,
            ..NewMessage::default()
        };
        messages::send(state, caller, &room, first).await?;
    }
    Ok(state.store.room_by_id(&room.id).await?.unwrap_or(room))
}

fn matches(room: &Room, text: Option<&str>) -> bool {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return true;
    };
    let wanted = text.to_lowercase();
    room.fname
        .as_deref()
        .or(room.name.as_deref())
        .is_some_and(|n| n.to_lowercase().contains(&wanted))
}

/// The discussions of a room the caller may read, by name text, newest first.
pub async fn of_room(
    state: &AppState,
    caller: &User,
    rid: &str,
    text: Option<&str>,
    page: Page,
) -> Result<(Vec<Room>, i64)> {
    message_access::readable_room(state, caller, rid).await?;
    let (all, _) = state
        .store
        .list_rooms(
            &[RoomType::Channel, RoomType::Group],
            &Filter::default().eq_text("prid", rid),
            &Sort(vec![("ts", false)]),
            Page::default(),
        )
        .await?;
    let matching: Vec<Room> = all.into_iter().filter(|r| matches(r, text)).collect();
    let total = matching.len() as i64;
    Ok((paged(matching, page), total))
}

/// The messages of a room that announce or started its discussions, by text, newest first.
pub async fn messages_of_room(
    state: &AppState,
    caller: &User,
    rid: &str,
    text: Option<&str>,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    message_access::readable_room(state, caller, rid).await?;
    Ok(state
        .store
        .select_messages(rid, Selection::Discussions, text.map(str::trim), page)
        .await?)
}

fn paged<T>(items: Vec<T>, page: Page) -> Vec<T> {
    items
        .into_iter()
        .skip(page.offset.max(0) as usize)
        .take(page.count.map_or(usize::MAX, |c| c.max(0) as usize))
        .collect()
}

/// The room as `rooms.createDiscussion` answers it.
pub fn to_wire(room: &Room, style: ferrochat_model::DateStyle) -> Value {
    let mut doc = room.to_wire(style);
    doc["rid"] = json!(room.id);
    doc
}
