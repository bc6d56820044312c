//! Loading a message on behalf of a user who wants to act on it: the message must exist and
//! its room must be readable by them.

use ferrochat_model::{Message, Room, User};

use crate::error::{Error, Result};
use crate::services::{events, rooms};
use crate::state::AppState;

pub fn invalid_message() -> Error {
    Error::failure("error-invalid-message", "Invalid message")
}

/// The message and its room, if `user` may read the room.
pub async fn readable(state: &AppState, user: &User, msg_id: &str) -> Result<(Message, Room)> {
    let message = state
        .store
        .message_by_id(msg_id)
        .await?
        .ok_or_else(invalid_message)?;
    let room = state
        .store
        .room_by_id(&message.rid)
        .await?
        .ok_or_else(invalid_message)?;
    rooms::require_read(state, &room, user).await?;
    Ok((message, room))
}

/// A room `user` may read, by id (lists of pinned, starred, mentioned messages and threads).
pub async fn readable_room(state: &AppState, user: &User, rid: &str) -> Result<Room> {
    match rooms::room_with_read_access(state, rid, user).await? {
        Some((room, true)) => Ok(room),
        Some((_, false)) => Err(rooms::read_denied()),
        None => Err(Error::failure("error-invalid-room", "Invalid room")),
    }
}

/// What a change made through `Store::modify_message` came to.
pub enum Changed {
    /// The message changed (and was announced).
    Yes(Message),
    /// The change was already in effect; the message as it is.
    Already(Message),
}

/// Turns the outcome of `Store::modify_message` into the service's answer: no such message is
/// `error-invalid-message`, a refused change is its error, and a message that changed is
/// announced on the room's streams.
pub async fn settle<T>(
    state: &AppState,
    outcome: Option<(Message, Result<Option<T>>)>,
) -> Result<Changed> {
    match outcome {
        None => Err(invalid_message()),
        Some((_, Err(e))) => Err(e),
        Some((message, Ok(None))) => Ok(Changed::Already(message)),
        Some((message, Ok(Some(_)))) => {
            events::message_saved(state, &message, false).await;
            Ok(Changed::Yes(message))
        }
    }
}
