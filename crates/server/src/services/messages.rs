//! Messages: validation, mentions, and storing them with their effects on the room and its
//! members (one transaction in the store).

use ferrochat_model::mentions;
use ferrochat_model::time::now_ms;
use ferrochat_model::{Message, Room, RoomType, User, UserRef, ids};
use ferrochat_store::StoreError;
use ferrochat_store::messages::Delivery;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::rooms;
use crate::state::AppState;

/// A message as a client submits it. Fields the server owns (`u`, `ts`, `mentions`,
/// `editedBy`, ...) are not here, so a client cannot set them.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// A client-chosen id; a retry with the same id returns the stored message.
    pub id: Option<String>,
    pub msg: String,
    pub tmid: Option<String>,
    pub tshow: bool,
    pub alias: Option<String>,
    pub emoji: Option<String>,
    pub avatar: Option<String>,
    pub attachments: Option<Vec<Value>>,
    pub custom_fields: Option<Value>,
    pub bot: Option<Value>,
    pub groupable: Option<bool>,
    pub parse_urls: Option<bool>,
    pub blocks: Option<Vec<Value>>,
}

/// What happened to a send: a new message, or the one a retry refers to.
pub enum Sent {
    New(Message),
    Existing(Message),
}

impl Sent {
    pub fn message(&self) -> &Message {
        match self {
            Sent::New(m) | Sent::Existing(m) => m,
        }
    }

    pub fn into_message(self) -> Message {
        match self {
            Sent::New(m) | Sent::Existing(m) => m,
        }
    }
}

/// Checks that the sender may post into the room.
pub async fn check_can_post(state: &AppState, room: &Room, sender: &User) -> Result<()> {
    if !rooms::can_read(state, room, sender).await? {
        return Err(Error::failure("error-not-allowed", "Not allowed"));
    }
    if room.archived {
        return Err(Error::failure("error-room-archived", "Room is archived"));
    }
    if room.read_only
        && !state
            .authz
            .has(&state.store, sender, "post-readonly", Some(&room.id))
            .await?
    {
        return Err(Error::failure(
            "error-action-not-allowed",
            "You are not allowed to write messages in this room",
        )
        .with_details(json!({"action": "Sending_message"})));
    }
    if room.muted.iter().any(|m| m == &sender.username) {
        return Err(Error::failure(
            "error-user-muted",
            "You have been muted and cannot speak in this room",
        ));
    }
    Ok(())
}

/// Validates and stores a message from a user.
pub async fn send(state: &AppState, sender: &User, room: &Room, new: NewMessage) -> Result<Sent> {
    if let Some(id) = &new.id {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::failure("error-invalid-message-id", "Invalid message id"));
        }
        if let Some(existing) = state.store.message_by_id(id).await? {
            if existing.user.id == sender.id && existing.rid == room.id {
                return Ok(Sent::Existing(existing));
            }
            return Err(Error::failure("error-message-already-exists", "The message already exists"));
        }
    }
    let max = state.settings.int("Message_MaxAllowedSize").max(1) as usize;
    if new.msg.chars().count() > max {
        return Err(Error::failure("error-message-size-exceeded", "Message size exceeds Message_MaxAllowedSize")
            .with_details(json!({"method": "sendMessage"})));
    }
    let has_attachments = new.attachments.as_ref().is_some_and(|a| !a.is_empty());
    if new.msg.trim().is_empty() && !has_attachments && new.blocks.as_ref().is_none_or(|b| b.is_empty()) {
        return Err(Error::failure("error-invalid-msg", "The message is empty"));
    }
    check_can_post(state, room, sender).await?;
    if (new.alias.is_some() || new.avatar.is_some() || new.emoji.is_some())
        && !state.authz.has(&state.store, sender, "message-impersonate", Some(&room.id)).await?
    {
        return Err(Error::failure(
            "error-not-allowed",
            "Not enough permission to set the alias, avatar or emoji of a message",
        ));
    }
    if let Some(tmid) = &new.tmid {
        match state.store.message_by_id(tmid).await? {
            Some(parent) if parent.rid == room.id => {}
            _ => return Err(Error::failure("error-invalid-message", "Invalid thread message id")),
        }
    }
    let mut extra = Map::new();
    let (mentions, delivery) = resolve_mentions(state, sender, room, &new.msg).await?;
    extra.insert("mentions".into(), Value::Array(mentions.0));
    extra.insert("channels".into(), Value::Array(mentions.1));
    if new.tmid.is_some() && new.tshow {
        extra.insert("tshow".into(), Value::Bool(true));
    }
    for (key, value) in [
        ("alias", new.alias.map(Value::String)),
        ("emoji", new.emoji.map(Value::String)),
        ("avatar", new.avatar.map(Value::String)),
        ("attachments", new.attachments.map(Value::Array)),
        ("customFields", new.custom_fields),
        ("bot", new.bot),
        ("parseUrls", new.parse_urls.map(Value::Bool)),
        ("blocks", new.blocks.map(Value::Array)),
    ] {
        if let Some(value) = value {
            extra.insert(key.into(), value);
        }
    }
    extra.insert(
        "groupable".into(),
        Value::Bool(new.groupable.unwrap_or(!has_attachments)),
    );
    let now = now_ms();
    let message = Message {
        id: new.id.unwrap_or_else(ids::random_id),
        rid: room.id.clone(),
        msg: new.msg,
        ts: now,
        user: UserRef {
            id: sender.id.clone(),
            username: sender.username.clone(),
            name: Some(sender.name.clone()),
        },
        updated_at: now,
        t: None,
        tmid: new.tmid,
        edited_at: None,
        edited_by: None,
        extra,
    };
    match state.store.insert_message(&message, &delivery).await {
        Ok(()) => Ok(Sent::New(message)),
        Err(StoreError::Duplicate(_)) => match state.store.message_by_id(&message.id).await? {
            Some(existing) if existing.user.id == sender.id && existing.rid == room.id => Ok(Sent::Existing(existing)),
            _ => Err(Error::failure("error-message-already-exists", "The message already exists")),
        },
        Err(other) => Err(other.into()),
    }
}

/// `(mentions, channels)` as stored on the message, and who the message notifies.
async fn resolve_mentions(state: &AppState, sender: &User, room: &Room, text: &str) -> Result<((Vec<Value>, Vec<Value>), Delivery)> {
    let found = mentions::extract(text);
    let mut users = Vec::new();
    let mut delivery = Delivery::default();
    for (flag, name, permission) in [(found.all, "all", "mention-all"), (found.here, "here", "mention-here")] {
        if flag && state.authz.has(&state.store, sender, permission, Some(&room.id)).await? {
            users.push(json!({"_id": name, "username": name, "type": "user"}));
            delivery.group_mention = true;
        }
    }
    for username in found.users.iter().take(50) {
        if let Some(user) = state.store.user_by_username(username).await? {
            users.push(json!({"_id": user.id, "username": user.username, "name": user.name, "type": "user"}));
            if room.t == RoomType::Direct || state.store.subscription(&room.id, &user.id).await?.is_some() {
                delivery.mentioned_user_ids.push(user.id);
            }
        }
    }
    let mut channels = Vec::new();
    for name in found.channels.iter().take(50) {
        if let Some(mentioned) = state.store.room_by_name(name).await?
            && mentioned.t == RoomType::Channel
        {
            channels.push(json!({"_id": mentioned.id, "name": mentioned.name}));
        }
    }
    Ok(((users, channels), delivery))
}

/// Stores a system message (`uj`, `ul`, `au`, `ru`, `r`, `room_changed_topic`, ...).
pub async fn system(state: &AppState, room: &Room, t: &str, msg: &str, actor: &User) -> Result<Message> {
    let now = now_ms();
    let mut extra = Map::new();
    extra.insert("groupable".into(), Value::Bool(false));
    let message = Message {
        id: ids::random_id(),
        rid: room.id.clone(),
        msg: msg.to_owned(),
        ts: now,
        user: UserRef {
            id: actor.id.clone(),
            username: actor.username.clone(),
            name: Some(actor.name.clone()),
        },
        updated_at: now,
        t: Some(t.to_owned()),
        tmid: None,
        edited_at: None,
        edited_by: None,
        extra,
    };
    state.store.insert_message(&message, &Delivery::default()).await?;
    Ok(message)
}
