//! Which streams exist and who may listen to what. Default deny: a stream not listed here,
//! or an event the caller may not read, is refused with `nosub`.

use ferrochat_model::User;

use super::hub::{MY_MESSAGES, Route};
use crate::error::{Error, Result};
use crate::services::rooms;
use crate::state::AppState;

pub const ROOM_MESSAGES: &str = "stream-room-messages";
pub const NOTIFY_ROOM: &str = "stream-notify-room";
pub const NOTIFY_USER: &str = "stream-notify-user";
pub const NOTIFY_LOGGED: &str = "stream-notify-logged";
pub const NOTIFY_ALL: &str = "stream-notify-all";
pub const USER_PRESENCE: &str = "stream-user-presence";
pub const ROLES: &str = "stream-roles";
pub const NOTIFY_ROOM_USERS: &str = "stream-notify-room-users";

/// Publications that are not streams: answered with `ready` (and their documents).
pub const AUTOUPDATE: &str = "meteor_autoupdate_clientVersions";
pub const LOGIN_SERVICES: &str = "meteor.loginServiceConfiguration";

pub fn not_allowed() -> Error {
    Error::failure("not-allowed", "Not allowed")
}

fn need_user(user: Option<&User>) -> Result<&User> {
    user.ok_or_else(not_allowed)
}

/// The streams a client may subscribe to.
const STREAMS: &[&str] = &[
    ROOM_MESSAGES,
    NOTIFY_ROOM,
    NOTIFY_USER,
    NOTIFY_LOGGED,
    NOTIFY_ALL,
    USER_PRESENCE,
    ROLES,
    NOTIFY_ROOM_USERS,
];

/// Checks that `user` may listen to `event` on `stream` and says how to file it.
pub async fn authorize(
    state: &AppState,
    user: Option<&User>,
    stream: &str,
    event: &str,
) -> Result<Route> {
    // The route names the stream by its constant, so that each subscription does not keep
    // a copy of the name.
    let Some(&stream) = STREAMS.iter().find(|known| **known == stream) else {
        return Err(not_allowed());
    };
    let route = Route::Event {
        stream,
        name: event.into(),
    };
    match stream {
        ROOM_MESSAGES => {
            let user = need_user(user)?;
            if event == MY_MESSAGES {
                return Ok(Route::Member {
                    stream,
                    user_id: user.id.as_str().into(),
                });
            }
            if !matches!(
                rooms::room_with_read_access(state, event, user).await?,
                Some((_, true))
            ) {
                return Err(not_allowed());
            }
            // The hub checks each message against the room's members and type when it is
            // sent: someone removed from a private room, or a channel made private, stops
            // reaching non-members at once.
            Ok(Route::Participant {
                stream,
                name: event.into(),
                user_id: user.id.as_str().into(),
            })
        }
        NOTIFY_ROOM | NOTIFY_ROOM_USERS => {
            let user = need_user(user)?;
            let (rid, _) = event.split_once('/').ok_or_else(not_allowed)?;
            if !matches!(
                rooms::room_with_read_access(state, rid, user).await?,
                Some((_, true))
            ) {
                return Err(not_allowed());
            }
            Ok(route)
        }
        NOTIFY_USER => {
            let user = need_user(user)?;
            match event.split_once('/') {
                Some((uid, _)) if uid == user.id => Ok(route),
                _ => Err(not_allowed()),
            }
        }
        NOTIFY_LOGGED | USER_PRESENCE | ROLES => {
            need_user(user)?;
            Ok(route)
        }
        NOTIFY_ALL => Ok(route),
        _ => Err(Error::failure("not-allowed", "Not allowed")),
    }
}
