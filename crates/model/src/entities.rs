//! The aggregates as Ferrochat holds them, and their Rocket.Chat wire shapes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::wire::{DateStyle, Doc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoomType {
    #[serde(rename = "c")]
    Channel,
    #[serde(rename = "p")]
    Group,
    #[serde(rename = "d")]
    Direct,
}

impl RoomType {
    pub fn code(self) -> &'static str {
        match self {
            RoomType::Channel => "c",
            RoomType::Group => "p",
            RoomType::Direct => "d",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "c" => Some(RoomType::Channel),
            "p" => Some(RoomType::Group),
            "d" => Some(RoomType::Direct),
            _ => None,
        }
    }
}

/// `{_id, username, name?}` as embedded in rooms, messages and subscriptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(rename = "_id")]
    pub id: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl UserRef {
    pub fn to_wire(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// `user`, `bot` or `app`.
    pub user_type: String,
    pub active: bool,
    pub roles: Vec<String>,
    pub status: String,
    pub status_default: String,
    pub status_connection: String,
    pub status_text: String,
    pub utc_offset: f64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login: Option<i64>,
    pub password_hash: Option<String>,
    pub require_password_change: bool,
    pub avatar_etag: Option<String>,
    pub bio: Option<String>,
    pub nickname: Option<String>,
    pub language: Option<String>,
    pub preferences: Map<String, Value>,
    pub custom_fields: Option<Value>,
}

impl User {
    pub fn to_ref(&self) -> UserRef {
        UserRef {
            id: self.id.clone(),
            username: self.username.clone(),
            name: Some(self.name.clone()),
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The public profile other users may see (`defaultLimitedUserFieldsToExclude` removed).
    pub fn to_public(&self) -> Value {
        Doc::new()
            .set("_id", self.id.as_str())
            .set("username", self.username.as_str())
            .set("name", self.name.as_str())
            .set("type", self.user_type.as_str())
            .set("active", self.active)
            .set("status", self.status.as_str())
            .set("statusText", self.status_text.as_str())
            .set("utcOffset", self.utc_offset)
            .opt("avatarETag", self.avatar_etag.as_deref())
            .opt("bio", self.bio.as_deref())
            .opt("nickname", self.nickname.as_deref())
            .opt("customFields", self.custom_fields.clone())
            .build()
    }

    /// The full record as an administrator (or the user) sees it: everything except
    /// `services` and secrets.
    pub fn to_private(&self, style: DateStyle) -> Value {
        let mut doc = Doc::new()
            .set("_id", self.id.as_str())
            .set("username", self.username.as_str())
            .set("name", self.name.as_str())
            .set("type", self.user_type.as_str())
            .set("active", self.active)
            .set("roles", json!(self.roles))
            .set("status", self.status.as_str())
            .set("statusDefault", self.status_default.as_str())
            .set("statusConnection", self.status_connection.as_str())
            .set("statusText", self.status_text.as_str())
            .set("utcOffset", self.utc_offset)
            .set("createdAt", style.date(self.created_at))
            .set("_updatedAt", style.date(self.updated_at))
            .set("requirePasswordChange", self.require_password_change)
            .opt("lastLogin", self.last_login.map(|ms| style.date(ms)))
            .opt("avatarETag", self.avatar_etag.as_deref())
            .opt("bio", self.bio.as_deref())
            .opt("nickname", self.nickname.as_deref())
            .opt("language", self.language.as_deref())
            .opt("customFields", self.custom_fields.clone());
        if let Some(email) = &self.email {
            doc = doc.set(
                "emails",
                json!([{ "address": email, "verified": self.email_verified }]),
            );
        }
        doc.build()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub id: String,
    pub t: RoomType,
    pub name: Option<String>,
    pub fname: Option<String>,
    pub creator: Option<UserRef>,
    pub ts: i64,
    pub updated_at: i64,
    pub msgs: i64,
    pub users_count: i64,
    pub lm: Option<i64>,
    pub last_message: Option<Box<Message>>,
    pub read_only: bool,
    pub is_default: bool,
    pub featured: bool,
    pub broadcast: bool,
    pub encrypted: bool,
    pub archived: bool,
    pub topic: Option<String>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    pub announcement: Option<String>,
    pub join_code: Option<String>,
    pub custom_fields: Option<Value>,
    /// Direct rooms: the members' ids and usernames.
    pub uids: Vec<String>,
    pub usernames: Vec<String>,
    pub muted: Vec<String>,
    pub sys_mes: Option<Value>,
    /// A discussion's parent room.
    pub prid: Option<String>,
}

impl Room {
    /// A new, empty room with every setting at its default.
    pub fn new(id: String, t: RoomType, now: i64) -> Self {
        Self {
            id,
            t,
            name: None,
            fname: None,
            creator: None,
            ts: now,
            updated_at: now,
            msgs: 0,
            users_count: 0,
            lm: None,
            last_message: None,
            read_only: false,
            is_default: false,
            featured: false,
            broadcast: false,
            encrypted: false,
            archived: false,
            topic: None,
            description: None,
            purpose: None,
            announcement: None,
            join_code: None,
            custom_fields: None,
            uids: Vec::new(),
            usernames: Vec::new(),
            muted: Vec::new(),
            sys_mes: None,
            prid: None,
        }
    }

    /// The room as clients receive it. `joinCode` never goes out (it is `defaultFieldsToExclude`);
    /// `joinCodeRequired` tells whether there is one.
    pub fn to_wire(&self, style: DateStyle) -> Value {
        let mut doc = Doc::new()
            .set("_id", self.id.as_str())
            .set("t", self.t.code())
            .opt("name", self.name.as_deref())
            .opt("fname", self.fname.as_deref())
            .opt("u", self.creator.as_ref().map(UserRef::to_wire))
            .set("ts", style.date(self.ts))
            .set("_updatedAt", style.date(self.updated_at))
            .set("msgs", self.msgs)
            .set("usersCount", self.users_count)
            .opt("lm", self.lm.map(|ms| style.date(ms)))
            .opt(
                "lastMessage",
                self.last_message.as_ref().map(|m| m.to_wire(style)),
            )
            .set("ro", self.read_only)
            .set("default", self.is_default)
            .set("sysMes", self.sys_mes.clone().unwrap_or(Value::Bool(true)))
            .flag("featured", self.featured)
            .flag("broadcast", self.broadcast)
            .flag("encrypted", self.encrypted)
            .flag("archived", self.archived)
            .opt("topic", self.topic.as_deref())
            .opt("description", self.description.as_deref())
            .opt("purpose", self.purpose.as_deref())
            .opt("announcement", self.announcement.as_deref())
            .opt("customFields", self.custom_fields.clone())
            .opt("prid", self.prid.as_deref())
            .flag("joinCodeRequired", self.join_code.is_some());
        if self.t == RoomType::Direct {
            doc = doc
                .set("usernames", json!(self.usernames))
                .set("uids", json!(self.uids));
        }
        if !self.muted.is_empty() {
            doc = doc.set("muted", json!(self.muted));
        }
        doc.build()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub rid: String,
    pub user: UserRef,
    pub t: RoomType,
    pub name: String,
    pub fname: Option<String>,
    pub ts: i64,
    pub ls: Option<i64>,
    pub lr: Option<i64>,
    pub updated_at: i64,
    pub open: bool,
    pub alert: bool,
    pub unread: i64,
    pub user_mentions: i64,
    pub group_mentions: i64,
    pub roles: Vec<String>,
    pub favorite: bool,
    pub archived: bool,
    /// Notification preferences and other per-member settings, stored as given.
    pub extra: Map<String, Value>,
}

impl Subscription {
    pub fn to_wire(&self, style: DateStyle) -> Value {
        let mut doc = Doc::new()
            .merge(&self.extra)
            .set("_id", self.id.as_str())
            .set("rid", self.rid.as_str())
            .set("u", self.user.to_wire())
            .set("t", self.t.code())
            .set("name", self.name.as_str())
            .opt("fname", self.fname.as_deref())
            .set("ts", style.date(self.ts))
            .opt("ls", self.ls.map(|ms| style.date(ms)))
            .opt("lr", self.lr.map(|ms| style.date(ms)))
            .set("_updatedAt", style.date(self.updated_at))
            .set("open", self.open)
            .set("alert", self.alert)
            .set("unread", self.unread)
            .set("userMentions", self.user_mentions)
            .set("groupMentions", self.group_mentions)
            .set("f", self.favorite)
            .flag("archived", self.archived);
        if !self.roles.is_empty() {
            doc = doc.set("roles", json!(self.roles));
        }
        doc.build()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub rid: String,
    pub msg: String,
    pub ts: i64,
    pub user: UserRef,
    pub updated_at: i64,
    /// System message type (`uj`, `ul`, `r`, ...); `None` for user messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<UserRef>,
    /// Everything else a message may carry (`alias`, `emoji`, `avatar`, `attachments`,
    /// `mentions`, `channels`, `md`, `bot`, `customFields`, `groupable`, `tshow`, `reactions`,
    /// `starred`, `pinned`, `tcount`, `replies`, ...), stored as it goes out, except the dates
    /// in [`Message::DATE_FIELDS`], held as epoch milliseconds and rendered by `to_wire`.
    #[serde(default)]
    pub extra: Map<String, Value>,
}

impl Message {
    /// Fields of `extra` that are dates (epoch milliseconds in storage).
    pub const DATE_FIELDS: [&'static str; 3] = ["tlm", "pinnedAt", "dlm"];

    pub fn to_wire(&self, style: DateStyle) -> Value {
        let mut doc = Doc::new()
            .merge(&self.extra)
            .set("_id", self.id.as_str())
            .set("rid", self.rid.as_str())
            .set("msg", self.msg.as_str())
            .set("ts", style.date(self.ts))
            .set("u", self.user.to_wire())
            .set("_updatedAt", style.date(self.updated_at))
            .opt("t", self.t.as_deref())
            .opt("tmid", self.tmid.as_deref())
            .opt("editedAt", self.edited_at.map(|ms| style.date(ms)))
            .opt("editedBy", self.edited_by.as_ref().map(UserRef::to_wire));
        for key in ["mentions", "channels"] {
            if !self.extra.contains_key(key) {
                doc = doc.set(key, json!([]));
            }
        }
        for key in Self::DATE_FIELDS {
            if let Some(ms) = self.extra.get(key).and_then(Value::as_i64) {
                doc = doc.set(key, style.date(ms));
            }
        }
        doc.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            id: "m1".into(),
            rid: "r1".into(),
            msg: "hi".into(),
            ts: 1_700_000_000_000,
            user: UserRef {
                id: "u1".into(),
                username: "alice".into(),
                name: Some("Alice".into()),
            },
            updated_at: 1_700_000_000_000,
            t: None,
            tmid: None,
            edited_at: None,
            edited_by: None,
            extra: Map::new(),
        }
    }

    #[test]
    fn message_dates_follow_the_transport() {
        let m = message();
        assert_eq!(m.to_wire(DateStyle::Iso)["ts"], "2023-11-14T22:13:20.000Z");
        assert_eq!(
            m.to_wire(DateStyle::EJson)["ts"],
            json!({"$date": 1_700_000_000_000i64})
        );
        assert_eq!(m.to_wire(DateStyle::Iso)["mentions"], json!([]));
    }

    #[test]
    fn message_round_trips_through_storage_json() {
        let m = message();
        let text = serde_json::to_string(&m).unwrap();
        let back: Message = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }
}
