//! Slash commands (`commands.list`, `commands.get`, `commands.run`, DDP `slashCommand`): the
//! built-in server commands of Rocket.Chat that Ferrochat's features support. Each one is a
//! thin front for the service that does the work, so its permissions and errors are the same
//! as the equivalent REST call's.

use ferrochat_model::{Message, Room, User};

use crate::error::{Error, Result};
use crate::services::messages::{self, NewMessage};
use crate::services::room_admin::{self, Kind, TextSetting};
use crate::services::rooms::NewRoom;
use crate::services::{message_access, muting, users};
use crate::state::AppState;

/// A command as `commands.list` describes it (`description` and `params` are i18n keys or
/// literal hints, as in Rocket.Chat).
#[derive(Debug, Clone, Copy)]
pub struct CommandDef {
    pub command: &'static str,
    pub params: &'static str,
    pub description: &'static str,
    pub permission: &'static [&'static str],
}

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        command: "archive",
        params: "#channel",
        description: "Archive",
        permission: &["archive-room"],
    },
    CommandDef {
        command: "create",
        params: "#channel",
        description: "Create_A_New_Channel",
        permission: &["create-c", "create-p"],
    },
    CommandDef {
        command: "gimme",
        params: "your_message_optional",
        description: "Slash_Gimme_Description",
        permission: &[],
    },
    CommandDef {
        command: "invite",
        params: "@username",
        description: "Invite_user_to_join_channel",
        permission: &["add-user-to-joined-room"],
    },
    CommandDef {
        command: "invite-all-from",
        params: "#room",
        description: "Invite_user_to_join_channel_all_from",
        permission: &["add-user-to-joined-room"],
    },
    CommandDef {
        command: "invite-all-to",
        params: "#room",
        description: "Invite_user_to_join_channel_all_to",
        permission: &[
            "add-user-to-joined-room",
            "add-user-to-any-c-room",
            "add-user-to-any-p-room",
        ],
    },
    CommandDef {
        command: "join",
        params: "#channel",
        description: "Join_the_given_channel",
        permission: &["view-c-room"],
    },
    CommandDef {
        command: "kick",
        params: "@username",
        description: "Remove_someone_from_room",
        permission: &["remove-user"],
    },
    CommandDef {
        command: "leave",
        params: "",
        description: "Leave_the_current_channel",
        permission: &[],
    },
    CommandDef {
        command: "lennyface",
        params: "your_message_optional",
        description: "Slash_LennyFace_Description",
        permission: &[],
    },
    CommandDef {
        command: "me",
        params: "your_message",
        description: "Displays_action_text",
        permission: &[],
    },
    CommandDef {
        command: "mute",
        params: "@username",
        description: "Mute_someone_in_room",
        permission: &["mute-user"],
    },
    CommandDef {
        command: "part",
        params: "",
        description: "Leave_the_current_channel",
        permission: &[],
    },
    CommandDef {
        command: "shrug",
        params: "your_message_optional",
        description: "Slash_Shrug_Description",
        permission: &[],
    },
    CommandDef {
        command: "status",
        params: "Slash_Status_Params",
        description: "Slash_Status_Description",
        permission: &[],
    },
    CommandDef {
        command: "tableflip",
        params: "your_message_optional",
        description: "Slash_Tableflip_Description",
        permission: &[],
    },
    CommandDef {
        command: "topic",
        params: "Slash_Topic_Params",
        description: "Slash_Topic_Description",
        permission: &["edit-room"],
    },
    CommandDef {
        command: "unarchive",
        params: "#channel",
        description: "Unarchive",
        permission: &["unarchive-room"],
    },
    CommandDef {
        command: "unmute",
        params: "@username",
        description: "Unmute_someone_in_room",
        permission: &["mute-user"],
    },
];

pub fn find(command: &str) -> Option<&'static CommandDef> {
    COMMANDS.iter().find(|c| c.command == command)
}

fn invalid(message: &str) -> Error {
    Error::failure("error-invalid-command-usage", message)
}

/// The first word of `params`, with its sigil (`@`, `#`) removed.
fn first_name(params: &str, sigil: char) -> Option<&str> {
    params
        .split_whitespace()
        .next()
        .map(|word| word.trim_start_matches(sigil))
        .filter(|name| !name.is_empty())
}

async fn named_user(state: &AppState, params: &str) -> Result<User> {
    let name = first_name(params, '@').ok_or_else(|| invalid("A @username is required"))?;
    state
        .store
        .user_by_username(name)
        .await?
        .ok_or_else(|| Error::failure("error-invalid-user", format!("User @{name} not found")))
}

async fn named_room(state: &AppState, params: &str) -> Result<Room> {
    let name = first_name(params, '#').ok_or_else(|| invalid("A #channel is required"))?;
    state
        .store
        .room_by_name(name)
        .await?
        .ok_or_else(|| Error::failure("error-invalid-room", format!("Channel #{name} not found")))
}

fn kind_of(room: &Room) -> Result<Kind> {
    Kind::from_room_type(room.t).ok_or_else(|| {
        Error::failure(
            "error-invalid-room-type",
            "This command does not work in direct messages",
        )
    })
}

/// Sends `text` into the room (and thread) the command was typed in.
async fn say(
    state: &AppState,
    caller: &User,
    room: &Room,
    tmid: Option<&str>,
    text: String,
) -> Result<Message> {
    let new = NewMessage {
        msg: text,
        tmid: tmid.map(str::to_owned),
        ..NewMessage::default()
    };
    Ok(messages::send(state, caller, room, new)
        .await?
        .into_message())
}

/// Text with a face appended (or prepended), as the fun commands send it.
fn with_face(params: &str, face: &str, before: bool) -> String {
    let text = params.trim();
    match (text.is_empty(), before) {
        (true, _) => face.to_owned(),
        (false, true) => format!("{face} {text}"),
        (false, false) => format!("{text} {face}"),
    }
}

/// Runs `/command params` typed in room `rid` (in thread `tmid`). Returns the message the
/// command sent, if it sent one.
pub async fn run(
    state: &AppState,
    caller: &User,
    rid: &str,
    tmid: Option<&str>,
    command: &str,
    params: &str,
) -> Result<Option<Message>> {
    let command = command.trim().trim_start_matches('/').to_lowercase();
    if find(&command).is_none() {
        return Err(Error::failure(
            "error-invalid-command",
            "The command provided does not exist (or is disabled).",
        ));
    }
    let room = message_access::readable_room(state, caller, rid).await?;
    let params = params.trim();
    match command.as_str() {
        "shrug" => {
            return say(
                state,
                caller,
                &room,
                tmid,
                with_face(params, "¯\\_(ツ)_/¯", false),
            )
            .await
            .map(Some);
        }
        "tableflip" => {
            return say(
                state,
                caller,
                &room,
                tmid,
                with_face(params, "(╯°□°）╯︵ ┻━┻", false),
            )
            .await
            .map(Some);
        }
        "lennyface" => {
            return say(
                state,
                caller,
                &room,
                tmid,
                with_face(params, "( ͡° ͜ʖ ͡°)", false),
            )
            .await
            .map(Some);
        }
        "gimme" => {
            return say(
                state,
                caller,
                &room,
                tmid,
                with_face(params, "༼ つ ◕_◕ ༽つ", true),
            )
            .await
            .map(Some);
        }
        "me" => {
            if params.is_empty() {
                return Err(invalid("/me needs some text"));
            }
            return say(state, caller, &room, tmid, format!("_{params}_"))
                .await
                .map(Some);
        }
        "join" => {
            let target = named_room(state, params).await?;
            room_admin::join(state, caller, &target, None).await?;
        }
        "leave" | "part" => room_admin::leave(state, caller, &room).await?,
        "invite" => {
            let kind = kind_of(&room)?;
            let mut invited = Vec::new();
            for word in params.split_whitespace() {
                invited.push(named_user(state, word).await?);
            }
            if invited.is_empty() {
                return Err(invalid("A @username is required"));
            }
            room_admin::invite(state, caller, kind, &room, &invited).await?;
        }
        "kick" => {
            let target = named_user(state, params).await?;
            room_admin::kick(state, caller, kind_of(&room)?, &room, &target).await?;
        }
        "mute" | "unmute" => {
            let target = named_user(state, params).await?;
            muting::set_muted(state, caller, &room, &target, command == "mute").await?;
        }
        "topic" => {
            room_admin::set_text(
                state,
                caller,
                kind_of(&room)?,
                &room,
                TextSetting::Topic,
                Some(params.to_owned()),
            )
            .await?;
        }
        "archive" | "unarchive" => {
            let target = if params.is_empty() {
                room.clone()
            } else {
                named_room(state, params).await?
            };
            let kind = kind_of(&target)?;
            if command == "archive" {
                room_admin::archive(state, caller, &target).await?;
            } else {
                room_admin::unarchive(state, caller, kind, &target).await?;
            }
        }
        "create" => {
            let name = first_name(params, '#').ok_or_else(|| invalid("A #channel is required"))?;
            let private = params
                .split_whitespace()
                .nth(1)
                .is_some_and(|w| w.eq_ignore_ascii_case("private"));
            let kind = if private { Kind::Group } else { Kind::Channel };
            let new = NewRoom {
                name: name.to_owned(),
                ..NewRoom::default()
            };
            room_admin::create(state, caller, kind, new).await?;
        }
        "invite-all-to" | "invite-all-from" => {
            let other = named_room(state, params).await?;
            let (from, to) = if command == "invite-all-to" {
                (&room, &other)
            } else {
                (&other, &room)
            };
            message_access::readable_room(state, caller, &from.id).await?;
            let members = state.store.subscriptions_of_room(&from.id).await?;
            let mut invited = Vec::with_capacity(members.len());
            for sub in members {
                if let Some(user) = state.store.user_by_id(&sub.user.id).await? {
                    invited.push(user);
                }
            }
            if !invited.is_empty() {
                room_admin::invite(state, caller, kind_of(to)?, to, &invited).await?;
            }
        }
        "status" => {
            users::set_status(state, caller, None, None, Some(params)).await?;
        }
        other => {
            tracing::error!(command = other, "a listed slash command has no handler");
            return Err(Error::Internal);
        }
    }
    Ok(None)
}
