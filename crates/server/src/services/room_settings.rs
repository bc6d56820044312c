//! `saveRoomSettings` (DDP) and `rooms.saveRoomSettings` (REST): several room settings in one
//! call, each applied through the setter its own endpoint uses (same permissions, same system
//! messages). Every key is checked before anything changes; unchanged values are skipped.

use ferrochat_model::{Room, User};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::message_access;
use crate::services::room_admin::{self, Kind, TextSetting};
use crate::state::AppState;

/// One setting to apply.
#[derive(Debug, Clone)]
enum Change {
    Name(String),
    Text(TextSetting, String),
    ReadOnly(bool),
    Default(bool),
    JoinCode(String),
    Type(String),
    Encrypted(bool),
    SystemMessages(Vec<String>),
}

fn invalid(key: &str) -> Error {
    Error::failure("error-invalid-settings", "Invalid settings provided")
        .with_details(json!({"method": "saveRoomSettings", "setting": key}))
}

fn parse(key: &str, value: &Value) -> Result<Change> {
    let text = || {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(key))
    };
    let flag = || value.as_bool().ok_or_else(|| invalid(key));
    Ok(match key {
        "roomName" => Change::Name(text()?),
        "roomTopic" => Change::Text(TextSetting::Topic, text()?),
        "roomDescription" => Change::Text(TextSetting::Description, text()?),
        "roomAnnouncement" => Change::Text(TextSetting::Announcement, text()?),
        "readOnly" => Change::ReadOnly(flag()?),
        "default" => Change::Default(flag()?),
        "joinCode" => Change::JoinCode(text()?),
        "roomType" => match value.as_str() {
            Some(t @ ("c" | "p")) => Change::Type(t.to_owned()),
            _ => return Err(invalid(key)),
        },
        "encrypted" => Change::Encrypted(flag()?),
        "systemMessages" => match value {
            Value::Array(items) => Change::SystemMessages(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| invalid(key))?,
            ),
            Value::Bool(false) | Value::Null => Change::SystemMessages(Vec::new()),
            _ => return Err(invalid(key)),
        },
        _ => return Err(invalid(key)),
    })
}

fn unchanged(room: &Room, change: &Change) -> bool {
    match change {
        Change::Name(name) => room.name.as_deref() == Some(name.as_str()),
        Change::Text(TextSetting::Topic, v) => room.topic.as_deref().unwrap_or("") == v,
        Change::Text(TextSetting::Description | TextSetting::Purpose, v) => {
            room.description.as_deref().unwrap_or("") == v
        }
        Change::Text(TextSetting::Announcement, v) => {
            room.announcement.as_deref().unwrap_or("") == v
        }
        Change::ReadOnly(v) => room.read_only == *v,
        Change::Default(v) => room.is_default == *v,
        Change::JoinCode(v) => room.join_code.as_deref().unwrap_or("") == v,
        Change::Type(t) => room.t.code() == t,
        Change::Encrypted(v) => room.encrypted == *v,
        Change::SystemMessages(types) => room.sys_mes.as_ref() == Some(&json!(types)),
    }
}

/// Applies `settings` (`{roomName: ..., systemMessages: [...], ...}`) to room `rid`.
pub async fn save(
    state: &AppState,
    caller: &User,
    rid: &str,
    settings: &Map<String, Value>,
) -> Result<()> {
    let changes = settings
        .iter()
        .map(|(key, value)| parse(key, value))
        .collect::<Result<Vec<_>>>()?;
    let mut room = message_access::readable_room(state, caller, rid).await?;
    let kind = Kind::from_room_type(room.t);
    for change in changes {
        if unchanged(&room, &change) {
            continue;
        }
        let kind = || {
            kind.ok_or_else(|| {
                Error::failure(
                    "error-invalid-room-type",
                    "Direct rooms have no such setting",
                )
            })
        };
        match change {
            Change::Name(name) => room_admin::rename(state, caller, kind()?, &room, &name).await?,
            Change::Text(setting, value) => {
                room_admin::set_text(state, caller, kind()?, &room, setting, Some(value)).await?;
            }
            Change::ReadOnly(v) => {
                room_admin::set_read_only(state, caller, kind()?, &room, v).await?
            }
            Change::Default(v) => room_admin::set_default(state, caller, &room, v, false).await?,
            Change::JoinCode(code) => {
                room_admin::set_join_code(state, caller, &room, &code).await?
            }
            Change::Type(t) => room_admin::set_type(state, caller, kind()?, &room, &t).await?,
            Change::Encrypted(v) => room_admin::set_encrypted(state, caller, &room, v).await?,
            Change::SystemMessages(types) => {
                room_admin::set_system_messages(state, caller, &room, &types).await?;
            }
        }
        // The next setter sees the room as the last one left it.
        room = message_access::readable_room(state, caller, rid).await?;
    }
    Ok(())
}
