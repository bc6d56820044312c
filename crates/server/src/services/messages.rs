//! Messages: validation, mentions, and storing them with their effects on the room and its
//! members (one transaction in the store); editing, deleting and reading single messages;
//! and `chat.postMessage`'s channel addressing (`#name`, `@username`, room id).

use ferrochat_model::mentions;
use ferrochat_model::time::now_ms;
use ferrochat_model::{Message, Room, RoomType, User, UserRef, ids};
use ferrochat_store::StoreError;
use ferrochat_store::message_state::VersionAuthor;
use ferrochat_store::messages::{Delivery, HistoryQuery};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::{direct, events, markdown, rooms, uploads};
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

/// Checks that the sender may post into the room (`canSendMessage`). The errors are
/// Rocket.Chat's plain `Error`s, which REST renders as `{"error": "<message>"}`.
pub async fn check_can_post(state: &AppState, room: &Room, sender: &User) -> Result<()> {
    if !rooms::can_read(state, room, sender).await? {
        return Err(Error::plain("error-not-allowed"));
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
        return Err(Error::plain(
            "You can't send messages because the room is readonly.",
        ));
    }
    if room.muted.iter().any(|m| m == &sender.username) {
        return Err(Error::plain("You_have_been_muted"));
    }
    Ok(())
}

fn size_exceeded(method: &str) -> Error {
    Error::failure(
        "error-message-size-exceeded",
        "Message size exceeds Message_MaxAllowedSize",
    )
    .with_details(json!({"method": method}))
}

fn max_size(state: &AppState) -> usize {
    state.settings.int("Message_MaxAllowedSize").max(1) as usize
}

/// The checks of a message that need no room: threads, size, emptiness, links,
/// attachments and custom fields.
fn validate_content(state: &AppState, new: &NewMessage) -> Result<()> {
    if new.tshow && new.tmid.is_none() {
        return Err(
            Error::failure("invalid-params", "tshow provided but missing tmid")
                .with_details(json!({"method": "sendMessage"})),
        );
    }
    if new.tmid.is_some() && !state.settings.bool("Threads_enabled") {
        return Err(Error::failure("error-not-allowed", "not-allowed")
            .with_details(json!({"method": "sendMessage"})));
    }
    if new.msg.chars().count() > max_size(state) {
        return Err(size_exceeded("sendMessage"));
    }
    let has_attachments = new.attachments.as_ref().is_some_and(|a| !a.is_empty());
    if new.msg.trim().is_empty()
        && !has_attachments
        && new.blocks.as_ref().is_none_or(|b| b.is_empty())
    {
        return Err(Error::failure("error-invalid-msg", "The message is empty"));
    }
    if let Some(avatar) = &new.avatar {
        check_href(avatar, true)?;
    }
    if let Some(attachments) = &new.attachments {
        validate_attachments(attachments)?;
    }
    if new.custom_fields.is_some() {
        check_custom_fields(state)?;
    }
    Ok(())
}

/// An alias or avatar other than one's own needs `message-impersonate` (in the room, or
/// globally for a room that does not exist yet).
async fn check_impersonation(
    state: &AppState,
    sender: &User,
    room: Option<&Room>,
    new: &NewMessage,
) -> Result<()> {
    if (new.alias.is_some() || new.avatar.is_some())
        && !state
            .authz
            .has(
                &state.store,
                sender,
                "message-impersonate",
                room.map(|r| r.id.as_str()),
            )
            .await?
    {
        return Err(Error::plain("Not enough permission"));
    }
    Ok(())
}

/// The root of the thread a reply goes to: threads do not nest, so a reply to a reply
/// goes to the thread's root. The parent must be in the same room.
async fn thread_root(state: &AppState, room: &Room, tmid: &str) -> Result<String> {
    match state.store.message_by_id(tmid).await? {
        Some(parent) if parent.rid == room.id => Ok(parent.tmid.unwrap_or(parent.id)),
        _ => Err(Error::failure(
            "error-invalid-message",
            "Invalid thread message id",
        )),
    }
}

/// Validates and stores a message from a user.
pub async fn send(state: &AppState, sender: &User, room: &Room, new: NewMessage) -> Result<Sent> {
    send_with_fields(state, sender, room, new, &[]).await
}

/// [`send`] for a message that carries an uploaded file: `fields` are the server-made
/// `file` / `files` descriptions, which no client can set.
pub async fn send_with_file(
    state: &AppState,
    sender: &User,
    room: &Room,
    new: NewMessage,
    fields: &[(&str, Value)],
) -> Result<Message> {
    Ok(send_with_fields(state, sender, room, new, fields)
        .await?
        .into_message())
}

async fn send_with_fields(
    state: &AppState,
    sender: &User,
    room: &Room,
    new: NewMessage,
    server_fields: &[(&str, Value)],
) -> Result<Sent> {
    if let Some(id) = &new.id {
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::failure(
                "error-invalid-message-id",
                "Invalid message id",
            ));
        }
        if let Some(existing) = state.store.message_by_id(id).await? {
            if existing.user.id == sender.id && existing.rid == room.id {
                return Ok(Sent::Existing(existing));
            }
            return Err(Error::failure(
                "error-message-already-exists",
                "The message already exists",
            ));
        }
    }
    validate_content(state, &new)?;
    check_can_post(state, room, sender).await?;
    check_impersonation(state, sender, Some(room), &new).await?;
    let tmid = match &new.tmid {
        Some(id) => Some(thread_root(state, room, id).await?),
        None => None,
    };
    let has_attachments = new.attachments.as_ref().is_some_and(|a| !a.is_empty());
    let mut extra = Map::new();
    let Mentions {
        users: mentioned,
        channels,
        delivery,
        absent,
    } = find_mentions(state, sender, room, &new.msg).await?;
    let delivery = Delivery {
        in_discussion: room.prid.is_some(),
        ..delivery
    };
    extra.insert("mentions".into(), Value::Array(mentioned));
    extra.insert("channels".into(), Value::Array(channels));
    if tmid.is_some() && new.tshow {
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
    for (key, value) in server_fields {
        if *key != "attachments" {
            extra.insert((*key).to_owned(), value.clone());
        }
    }
    extra.insert(
        "groupable".into(),
        Value::Bool(new.groupable.unwrap_or(!has_attachments)),
    );
    markdown::annotate(state, &new.msg, &mut extra);
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
        tmid,
        edited_at: None,
        edited_by: None,
        extra,
    };
    // The write and its announcements run as a task of their own: a client that hangs up
    // while its message waits for the writer must not leave it stored but never announced.
    let task = tokio::spawn(store_and_announce(
        state.clone(),
        sender.clone(),
        message,
        delivery,
        absent,
    ));
    task.await.map_err(|e| {
        tracing::error!(error = %e, "storing a message failed");
        Error::Internal
    })?
}

async fn store_and_announce(
    state: AppState,
    sender: User,
    message: Message,
    delivery: Delivery,
    absent: Vec<String>,
) -> Result<Sent> {
    let state = &state;
    match state.store.insert_message(&message, &delivery).await {
        Ok(()) => {
            events::message_saved(state, &message, true).await;
            if let Some(tmid) = &message.tmid {
                announce_thread_parent(state, tmid).await;
            }
            tell_absent(state, &sender, &message.rid, &absent);
            Ok(Sent::New(message))
        }
        Err(StoreError::Duplicate(_)) => match state.store.message_by_id(&message.id).await? {
            Some(existing) if existing.user.id == sender.id && existing.rid == message.rid => {
                Ok(Sent::Existing(existing))
            }
            _ => Err(Error::failure(
                "error-message-already-exists",
                "The message already exists",
            )),
        },
        Err(other) => Err(other.into()),
    }
}

/// A reply changed its thread's root (`tcount`, `tlm`, `replies`): room members see the root
/// again on `stream-room-messages`, as Rocket.Chat sends it, so open clients update its counter.
async fn announce_thread_parent(state: &AppState, tmid: &str) {
    match state.store.message_by_id(tmid).await {
        Ok(Some(parent)) => events::message_saved(state, &parent, false).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot load a thread's root to announce it"),
    }
}

/// `chat.sendMessage` / the `sendMessage` method: the message names its room by `rid`.
pub async fn send_to(state: &AppState, sender: &User, rid: &str, new: NewMessage) -> Result<Sent> {
    if new.msg.chars().count() > max_size(state) {
        return Err(size_exceeded("sendMessage"));
    }
    let Some(room) = state.store.room_by_id(rid).await? else {
        return Err(Error::plain("error-invalid-room"));
    };
    send(state, sender, &room, new).await
}

/// `chat.postMessage` (`processWebhookMessage`): posts the message into every channel
/// named (`#name`, `@username`, a room id or name), joining public channels and opening
/// DMs on the way. Returns `(channel as given, message)` per channel. Everything is
/// checked before anything is joined, opened or stored.
pub async fn post(
    state: &AppState,
    sender: &User,
    channels: &[String],
    new: NewMessage,
) -> Result<Vec<(String, Message)>> {
    let max = max_size(state);
    let too_long = |text: &str| text.chars().count() > max;
    let attachment_text_too_long = new.attachments.iter().flatten().any(|a| {
        a.get("text")
            .or_else(|| a.get("msg"))
            .and_then(Value::as_str)
            .is_some_and(too_long)
    });
    if too_long(&new.msg) || attachment_text_too_long {
        return Err(Error::plain("error-message-size-exceeded"));
    }
    let mut new = new;
    if let Some(attachments) = &mut new.attachments {
        for attachment in attachments.iter_mut() {
            if let Some(map) = attachment.as_object_mut()
                && let Some(Value::String(text)) = map.remove("msg")
            {
                map.insert("text".into(), Value::String(text.trim().to_owned()));
            }
        }
    }
    validate_content(state, &new)?;
    let mut targets: Vec<(String, Target)> = Vec::new();
    for channel in channels {
        if targets.iter().any(|(c, _)| c == channel) {
            continue;
        }
        let target = resolve_channel(state, sender, channel).await?;
        match &target {
            Target::Room(room) => {
                check_can_post(state, room, sender).await?;
                check_impersonation(state, sender, Some(room), &new).await?;
                if let Some(tmid) = &new.tmid {
                    thread_root(state, room, tmid).await?;
                }
            }
            Target::NewDirect(_) => {
                check_impersonation(state, sender, None, &new).await?;
                if new.tmid.is_some() {
                    return Err(Error::failure(
                        "error-invalid-message",
                        "Invalid thread message id",
                    ));
                }
            }
        }
        targets.push((channel.clone(), target));
    }
    let mut sent = Vec::new();
    for (channel, target) in targets {
        let room = match target {
            Target::Room(room) => {
                join_if_channel(state, sender, &room).await?;
                room
            }
            Target::NewDirect(user) => {
                direct::create(state, sender, &[user.username], false).await?
            }
        };
        let message = send(state, sender, &room, new.clone())
            .await?
            .into_message();
        sent.push((channel, message));
    }
    Ok(sent)
}

/// Where a `chat.postMessage` channel leads.
enum Target {
    Room(Room),
    /// A DM with this user, to be opened.
    NewDirect(User),
}

/// The room a `chat.postMessage` channel names (`getRoomByNameOrIdWithOptionToJoin`),
/// found without side effects.
async fn resolve_channel(state: &AppState, sender: &User, channel: &str) -> Result<Target> {
    let channel = channel.trim();
    let direct = |found: std::result::Result<Room, User>| match found {
        Ok(room) => Target::Room(room),
        Err(user) => Target::NewDirect(user),
    };
    if let Some(name) = channel.strip_prefix('#') {
        return match room_by_id_or_name(state, name).await? {
            Some(room) => Ok(Target::Room(room)),
            None => Err(direct::invalid_channel()),
        };
    }
    if channel.starts_with('@') {
        return Ok(direct(direct::lookup(state, sender, channel, false).await?));
    }
    if let Some(room) = room_by_id_or_name(state, channel).await? {
        return Ok(Target::Room(room));
    }
    Ok(direct(direct::lookup(state, sender, channel, true).await?))
}

async fn room_by_id_or_name(state: &AppState, key: &str) -> Result<Option<Room>> {
    if key.is_empty() {
        return Ok(None);
    }
    if let Some(room) = state.store.room_by_id(key).await? {
        return Ok(Some(room));
    }
    Ok(state.store.room_by_name(key).await?)
}

/// Posting into a public channel joins it first.
async fn join_if_channel(state: &AppState, sender: &User, room: &Room) -> Result<()> {
    if room.t != RoomType::Channel || rooms::is_member(state, room, sender).await? {
        return Ok(());
    }
    rooms::add_member(state, room, sender, Vec::new(), None).await?;
    Ok(())
}

/// `chat.update` (`updateMessage`): edits the text of a message. Authors may edit their own
/// messages while `Message_AllowEditing` is on and within
/// `Message_AllowEditing_BlockEditInMinutes`; `edit-message` edits any message in the room.
pub async fn update(
    state: &AppState,
    editor: &User,
    rid: &str,
    msg_id: &str,
    text: String,
    custom_fields: Option<Value>,
) -> Result<Message> {
    let Some(original) = state.store.message_by_id(msg_id).await? else {
        return Err(Error::plain(format!(
            "No message found with the id of \"{msg_id}\"."
        )));
    };
    if original.rid != rid {
        return Err(Error::plain(
            "The room id provided does not match where the message is from.",
        ));
    }
    if text.chars().count() > max_size(state) {
        return Err(size_exceeded("updateMessage"));
    }
    let not_allowed = || {
        Error::failure("error-action-not-allowed", "Message editing not allowed")
            .with_details(json!({"method": "updateMessage", "action": "Message_editing"}))
    };
    if original.t.is_some() {
        return Err(not_allowed());
    }
    let file_description = original
        .extra
        .get("attachments")
        .and_then(|a| a.get(0))
        .and_then(|a| a.get("description"))
        .map(|d| d.as_str().unwrap_or("").to_owned());
    let current_text = file_description.as_deref().unwrap_or(&original.msg);
    if current_text == text && custom_fields.is_none() {
        // Nothing to change; the message still only goes back to someone who may read it.
        let readable = match state.store.room_by_id(rid).await? {
            Some(room) => rooms::can_read(state, &room, editor).await?,
            None => false,
        };
        if !readable {
            return Err(not_allowed());
        }
        return Ok(original);
    }
    let may_edit_any = state
        .authz
        .has(&state.store, editor, "edit-message", Some(rid))
        .await?;
    let own = original.user.id == editor.id;
    let may_edit_own = own && state.settings.bool("Message_AllowEditing");
    if !(may_edit_any || may_edit_own) {
        return Err(not_allowed());
    }
    let block_minutes = state
        .settings
        .int("Message_AllowEditing_BlockEditInMinutes");
    if block_minutes != 0
        && !state
            .authz
            .has_global(editor, "bypass-time-limit-edit-and-delete")
    {
        let elapsed_minutes = (now_ms() - original.ts) / 60_000;
        if elapsed_minutes >= block_minutes {
            return Err(Error::failure(
                "error-message-editing-blocked",
                "Message editing is blocked",
            )
            .with_details(json!({"method": "updateMessage"})));
        }
    }
    let Some(room) = state.store.room_by_id(rid).await? else {
        return Err(Error::plain("error-invalid-room"));
    };
    check_can_post(state, &room, editor).await?;
    if custom_fields.is_some() {
        check_custom_fields(state)?;
    }
    let ((mentions, channels), _) = resolve_mentions(state, editor, &room, &text).await?;
    let now = now_ms();
    let version_id = ids::random_id();
    let author = VersionAuthor {
        version_id: &version_id,
        user_id: &editor.id,
        at: now,
    };
    let keep = state
        .settings
        .bool("Message_KeepHistory")
        .then_some(&author);
    let edited_by = UserRef {
        id: editor.id.clone(),
        username: editor.username.clone(),
        name: None,
    };
    let describes_file = file_description.is_some();
    // The edit is applied to the message as stored now, so a reaction or star that landed
    // meanwhile is kept.
    let changed = state
        .store
        .modify_message_keeping(msg_id, keep, |message| {
            if describes_file {
                if let Some(Value::Array(attachments)) = message.extra.get_mut("attachments")
                    && let Some(Value::Object(first)) = attachments.get_mut(0)
                {
                    first.insert("description".into(), Value::String(text.clone()));
                }
            } else {
                message.msg = text.clone();
                markdown::annotate(state, &message.msg, &mut message.extra);
            }
            message
                .extra
                .insert("mentions".into(), Value::Array(mentions));
            message
                .extra
                .insert("channels".into(), Value::Array(channels));
            if let Some(fields) = custom_fields {
                message.extra.insert("customFields".into(), fields);
            }
            message.edited_at = Some(now);
            message.edited_by = Some(edited_by);
            message.updated_at = now;
            Ok::<_, Error>(Some(()))
        })
        .await?;
    let Some((message, _)) = changed else {
        return Err(Error::plain(format!(
            "No message found with the id of \"{msg_id}\"."
        )));
    };
    events::message_saved(state, &message, false).await;
    Ok(message)
}

/// `chat.delete` (`deleteMessageValidatingPermission`). Returns the message as it was.
/// With `as_user`, the deletion happens in the author's name, which needs
/// `force-delete-message` for someone else's message.
pub async fn delete(
    state: &AppState,
    actor: &User,
    rid: &str,
    msg_id: &str,
    as_user: bool,
) -> Result<Message> {
    let Some(message) = state.store.message_by_id(msg_id).await? else {
        return Err(Error::plain(format!(
            "No message found with the id of \"{msg_id}\"."
        )));
    };
    if message.rid != rid {
        return Err(Error::plain(
            "The room id provided does not match where the message is from.",
        ));
    }
    if as_user
        && message.user.id != actor.id
        && !state
            .authz
            .has(
                &state.store,
                actor,
                "force-delete-message",
                Some(&message.rid),
            )
            .await?
    {
        return Err(Error::plain(
            "Unauthorized. You must have the permission \"force-delete-message\" to delete other's message as them.",
        ));
    }
    let deleter = if as_user && message.user.id != actor.id {
        match state.store.user_by_id(&message.user.id).await? {
            Some(user) => user,
            None => return Err(Error::plain("User not found")),
        }
    } else {
        actor.clone()
    };
    if !can_delete(state, &deleter, &message).await? {
        return Err(Error::failure("error-action-not-allowed", "Not allowed"));
    }
    let now = now_ms();
    let version_id = ids::random_id();
    let author = VersionAuthor {
        version_id: &version_id,
        user_id: &deleter.id,
        at: now,
    };
    let keep = state
        .settings
        .bool("Message_KeepHistory")
        .then_some(&author);
    if state.settings.bool("Message_ShowDeletedStatus") {
        // The message stays as a `rm` tombstone.
        let removed_by = UserRef {
            id: deleter.id.clone(),
            username: deleter.username.clone(),
            name: None,
        };
        let changed = state
            .store
            .modify_message_keeping(msg_id, keep, |tombstone| {
                tombstone.msg = String::new();
                tombstone.t = Some("rm".into());
                for key in TOMBSTONE_DROPS {
                    tombstone.extra.remove(key);
                }
                tombstone.edited_at = Some(now);
                tombstone.edited_by = Some(removed_by);
                tombstone.updated_at = now;
                Ok::<_, Error>(Some(()))
            })
            .await?;
        if let Some((tombstone, _)) = changed {
            events::message_saved(state, &tombstone, false).await;
        }
    } else {
        state.store.delete_message(&message, now, keep).await?;
        events::message_deleted(state, &message).await;
    }
    uploads::delete_files_of(state, &message).await;
    Ok(message)
}

/// What a `rm` tombstone no longer shows.
const TOMBSTONE_DROPS: [&str; 9] = [
    "attachments",
    "mentions",
    "channels",
    "urls",
    "reactions",
    "md",
    "file",
    "files",
    "blocks",
];

/// `canDeleteMessage`.
async fn can_delete(state: &AppState, user: &User, message: &Message) -> Result<bool> {
    let rid = Some(message.rid.as_str());
    if state
        .authz
        .has(&state.store, user, "force-delete-message", rid)
        .await?
    {
        return Ok(true);
    }
    if !state.settings.bool("Message_AllowDeleting") {
        return Ok(false);
    }
    let allowed = state
        .authz
        .has(&state.store, user, "delete-message", rid)
        .await?
        || (message.user.id == user.id
            && state
                .authz
                .has(&state.store, user, "delete-own-message", rid)
                .await?);
    if !allowed {
        return Ok(false);
    }
    if !state
        .authz
        .has_global(user, "bypass-time-limit-edit-and-delete")
    {
        let block_minutes = state
            .settings
            .int("Message_AllowDeleting_BlockDeleteInMinutes");
        if block_minutes != 0 {
            let elapsed = ((now_ms() - message.ts) as f64 / 60_000.0).round() as i64;
            return Ok(elapsed <= block_minutes);
        }
    }
    if let Some(room) = state.store.room_by_id(&message.rid).await?
        && room.read_only
        && !state
            .authz
            .has(&state.store, user, "post-readonly", rid)
            .await?
    {
        return Err(Error::plain(
            "You can't delete messages because the room is readonly.",
        ));
    }
    Ok(true)
}

/// `chat.getMessage` (`getSingleMessage`): `None` when there is no such message.
pub async fn get(state: &AppState, user: &User, msg_id: &str) -> Result<Option<Message>> {
    let Some(message) = state.store.message_by_id(msg_id).await? else {
        return Ok(None);
    };
    let readable = match state.store.room_by_id(&message.rid).await? {
        Some(room) => rooms::can_read(state, &room, user).await?,
        None => false,
    };
    if !readable {
        return Err(Error::failure("error-action-not-allowed", "Not allowed"));
    }
    Ok(Some(message))
}

/// The newest message of a room (system messages included), if any.
pub async fn last_in_room(state: &AppState, rid: &str) -> Result<Option<Message>> {
    let found = state
        .store
        .room_history(
            rid,
            &HistoryQuery {
                latest: None,
                oldest: None,
                inclusive: false,
                offset: 0,
                count: 1,
                show_thread_messages: true,
                hidden_types: Vec::new(),
            },
        )
        .await?;
    Ok(found.into_iter().next())
}

/// `validateCustomMessageFields`: custom fields need `Message_CustomFields_Enabled`.
fn check_custom_fields(state: &AppState) -> Result<()> {
    if state.settings.bool("Message_CustomFields_Enabled") {
        Ok(())
    } else {
        Err(Error::plain("Custom fields not enabled"))
    }
}

/// Links that end up in `href` attributes: absolute http(s) (or inline images), or paths
/// of this server's uploads; relative paths too where `partial`. Never `javascript:`.
fn check_href(value: &str, partial: bool) -> Result<()> {
    let lower = value.trim().to_ascii_lowercase();
    let ok = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("data:image/")
        || lower.starts_with("/file-upload/")
        || (partial && !lower.contains(':') && !lower.starts_with("//") && !lower.is_empty());
    if ok {
        Ok(())
    } else {
        Err(Error::plain("Invalid href value provided"))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    StrOrNum,
    Scalar,
    Bool,
    Num,
    Obj,
    List,
    Href,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `objectMaybeIncluding`: each listed key, when present and not null, has its type.
fn check_fields(map: &Map<String, Value>, fields: &[(&str, Kind)], path: &str) -> Result<()> {
    for (key, kind) in fields {
        let Some(value) = map.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        let (ok, expected) = match kind {
            Kind::Str => (value.is_string(), "string"),
            Kind::StrOrNum => (value.is_string() || value.is_number(), "string or number"),
            Kind::Scalar => (
                value.is_string() || value.is_number() || value.is_boolean(),
                "string, number or boolean",
            ),
            Kind::Bool => (value.is_boolean(), "boolean"),
            Kind::Num => (value.is_number(), "number"),
            Kind::Obj => (value.is_object(), "object"),
            Kind::List => (value.is_array(), "array"),
            Kind::Href => match value.as_str() {
                Some(href) => {
                    check_href(href, false)?;
                    (true, "")
                }
                None => (false, "string"),
            },
        };
        if !ok {
            return Err(Error::plain(format!(
                "Match error: Expected {expected}, got {} in field {path}{key}",
                type_name(value)
            )));
        }
    }
    Ok(())
}

/// `validateBodyAttachments`: message attachments, their fields and actions.
pub fn validate_attachments(attachments: &[Value]) -> Result<()> {
    use Kind::*;
    const ATTACHMENT: &[(&str, Kind)] = &[
        ("color", Str),
        ("text", Str),
        ("ts", StrOrNum),
        ("thumb_url", Href),
        ("button_alignment", Str),
        ("actions", List),
        ("message_link", Href),
        ("collapsed", Bool),
        ("author_name", Str),
        ("author_link", Href),
        ("author_icon", Href),
        ("title", Str),
        ("title_link", Href),
        ("title_link_download", Bool),
        ("image_dimensions", Obj),
        ("image_url", Href),
        ("image_preview", Str),
        ("image_type", Str),
        ("image_size", Num),
        ("audio_url", Href),
        ("audio_type", Str),
        ("audio_size", Num),
        ("video_url", Href),
        ("video_type", Str),
        ("video_size", Num),
        ("fields", List),
    ];
    const FIELD: &[(&str, Kind)] = &[("short", Bool), ("title", Str), ("value", Scalar)];
    const ACTION: &[(&str, Kind)] = &[
        ("type", Str),
        ("text", Str),
        ("url", Href),
        ("image_url", Href),
        ("is_webview", Bool),
        ("webview_height_ratio", Str),
        ("msg", Str),
        ("msg_in_chat_window", Bool),
    ];
    for (i, attachment) in attachments.iter().enumerate() {
        let Value::Object(map) = attachment else {
            return Err(Error::plain(format!(
                "Match error: Expected object, got {} in field attachments[{i}]",
                type_name(attachment)
            )));
        };
        check_fields(map, ATTACHMENT, &format!("attachments[{i}]."))?;
        for (j, field) in map
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Value::Object(field) = field else {
                return Err(Error::plain(
                    "Invalid attachment field, title and value is required",
                ));
            };
            check_fields(field, FIELD, &format!("attachments[{i}].fields[{j}]."))?;
            let truthy = |key: &str| match field.get(key) {
                None | Some(Value::Null) | Some(Value::Bool(false)) => false,
                Some(Value::String(s)) => !s.is_empty(),
                Some(Value::Number(n)) => n.as_f64() != Some(0.0),
                Some(_) => true,
            };
            if !truthy("title") || !truthy("value") {
                return Err(Error::plain(
                    "Invalid attachment field, title and value is required",
                ));
            }
        }
        for (j, action) in map
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Value::Object(action) = action {
                check_fields(action, ACTION, &format!("attachments[{i}].actions[{j}]."))?;
            }
        }
    }
    Ok(())
}

/// What the mentions of a text resolve to.
struct Mentions {
    users: Vec<Value>,
    channels: Vec<Value>,
    delivery: Delivery,
    /// Mentioned users who exist but are not members (the sender is told).
    absent: Vec<String>,
}

/// `(mentions, channels)` as stored on the message, and who the message notifies.
async fn resolve_mentions(
    state: &AppState,
    sender: &User,
    room: &Room,
    text: &str,
) -> Result<((Vec<Value>, Vec<Value>), Delivery)> {
    let found = find_mentions(state, sender, room, text).await?;
    Ok(((found.users, found.channels), found.delivery))
}

async fn find_mentions(
    state: &AppState,
    sender: &User,
    room: &Room,
    text: &str,
) -> Result<Mentions> {
    let found = mentions::extract(text);
    let mut users = Vec::new();
    let mut delivery = Delivery::default();
    for (flag, name, permission) in [
        (found.all, "all", "mention-all"),
        (found.here, "here", "mention-here"),
    ] {
        if flag
            && state
                .authz
                .has(&state.store, sender, permission, Some(&room.id))
                .await?
        {
            users.push(json!({"_id": name, "username": name, "type": "user"}));
            delivery.group_mention = true;
        }
    }
    let mut absent = Vec::new();
    for username in found.users.iter().take(50) {
        if let Some(user) = state.store.user_by_username(username).await? {
            users.push(json!({"_id": user.id, "username": user.username, "name": user.name, "type": "user"}));
            if room.t == RoomType::Direct
                || state
                    .store
                    .subscription(&room.id, &user.id)
                    .await?
                    .is_some()
            {
                delivery.mentioned_user_ids.push(user.id);
            } else {
                absent.push(user.username);
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
    Ok(Mentions {
        users,
        channels,
        delivery,
        absent,
    })
}

/// Rocket.Chat's ephemeral notice to a sender who mentioned someone outside the room: a
/// message only they see, on their `<uid>/message` stream.
fn tell_absent(state: &AppState, sender: &User, rid: &str, usernames: &[String]) {
    for username in usernames {
        let text = format!("The user @{username} is not in this room.");
        let md = ferrochat_message_parser::parse(&text, &markdown::options(state));
        events::notify_user(
            state,
            &sender.id,
            "message",
            json!([{
                "_id": ids::random_id(),
                "rid": rid,
                "ts": ferrochat_model::DateStyle::EJson.date(now_ms()),
                "msg": text,
                "md": md,
                "u": {"_id": "rocket.cat", "username": "rocket.cat", "name": "Rocket.Cat"},
                "groupable": false,
                "private": true,
            }]),
        );
    }
}

/// Stores a system message (`uj`, `ul`, `au`, `ru`, `r`, `room_changed_topic`, ...).
pub async fn system(
    state: &AppState,
    room: &Room,
    t: &str,
    msg: &str,
    actor: &User,
) -> Result<Message> {
    system_with(state, room, t, msg, actor, &[]).await
}

/// A system message with extra fields (`role` for role changes).
pub async fn system_with(
    state: &AppState,
    room: &Room,
    t: &str,
    msg: &str,
    actor: &User,
    fields: &[(&str, Value)],
) -> Result<Message> {
    let now = now_ms();
    let mut extra = Map::new();
    extra.insert("groupable".into(), Value::Bool(false));
    for (key, value) in fields {
        extra.insert((*key).to_owned(), value.clone());
    }
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
    state
        .store
        .insert_message(&message, &Delivery::default())
        .await?;
    events::message_saved(state, &message, true).await;
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_refuse_scripts() {
        assert!(check_href("https://example.com/a.png", false).is_ok());
        assert!(check_href("/file-upload/abc/x.png", false).is_ok());
        assert!(check_href("javascript:alert(1)", false).is_err());
        assert!(check_href("JaVaScRiPt:alert(1)", true).is_err());
        assert!(check_href("avatar/me.png", true).is_ok());
        assert!(check_href("avatar/me.png", false).is_err());
    }

    #[test]
    fn attachments_are_type_checked() {
        assert!(validate_attachments(&[json!({"title": "t", "color": "#fff"})]).is_ok());
        assert!(validate_attachments(&[json!({"color": 3})]).is_err());
        assert!(validate_attachments(&[json!({"title_link": "javascript:x"})]).is_err());
        assert!(validate_attachments(&[json!({"fields": [{"title": "a"}]})]).is_err());
        assert!(validate_attachments(&[json!({"fields": [{"title": "a", "value": 1}]})]).is_ok());
        assert!(validate_attachments(&[json!("text")]).is_err());
    }
}
