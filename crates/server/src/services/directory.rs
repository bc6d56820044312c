//! The directory (`GET /api/v1/directory`, DDP `browseChannels`): public channels or people,
//! found by name, a page at a time. As in Rocket.Chat, channels need `view-c-room` and
//! people `view-outside-room`; the caller is never listed among the people, nor are
//! deactivated users and apps, and e-mail addresses go only to holders of
//! `view-full-other-user-info`.

use ferrochat_model::{DateStyle, RoomType, User};
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::state::AppState;

/// What the directory lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Channels,
    Users,
}

impl Listing {
    /// Rocket.Chat's `type` parameter; anything but `users` lists channels (its default).
    /// Teams are not built, so `teams` is refused rather than answered with channels.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        match value.unwrap_or("channels") {
            "channels" | "" => Ok(Self::Channels),
            "users" => Ok(Self::Users),
            _ => Err(invalid()),
        }
    }
}

fn invalid() -> Error {
    Error::plain("Please verify the parameters")
}

/// The fields of a channel in the directory (Rocket.Chat's `browseChannels` projection).
const CHANNEL_KEYS: &[&str] = &[
    "_id",
    "name",
    "fname",
    "t",
    "description",
    "topic",
    "ts",
    "lastMessage",
    "archived",
    "default",
    "featured",
    "usersCount",
    "prid",
];

/// A regular expression that matches `text` literally (the store's filter compiler accepts
/// only literal patterns; every character that is not a letter or digit is escaped).
fn literal_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn name_filter(
    text: &str,
    fields: &[&str],
    map: ferrochat_store::filter::FieldMap,
) -> Result<Filter> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Filter::default());
    }
    let pattern = literal_pattern(text);
    let any: Vec<Value> = fields
        .iter()
        .map(|f| json!({ *f: {"$regex": pattern, "$options": "i"} }))
        .collect();
    Ok(Filter::from_mongo(&json!({"$or": any}), map)?)
}

/// One page of the directory and the number of matches in all.
pub async fn browse(
    state: &AppState,
    caller: &User,
    listing: Listing,
    text: &str,
    sort: Sort,
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    match listing {
        Listing::Channels => channels(state, caller, text, sort, page).await,
        Listing::Users => users(state, caller, text, sort, page).await,
    }
}

async fn channels(
    state: &AppState,
    caller: &User,
    text: &str,
    sort: Sort,
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    if !state.authz.has_global(caller, "view-c-room") {
        return Err(invalid());
    }
    let filter = name_filter(text, &["name", "fname"], ferrochat_store::rooms::FIELDS)?;
    let sort = if sort.0.is_empty() {
        Sort(vec![("name", true)])
    } else {
        sort
    };
    let (rooms, total) = state
        .store
        .list_rooms(&[RoomType::Channel], &filter, &sort, page)
        .await?;
    let items = rooms
        .iter()
        .map(|room| pick(room.to_wire(DateStyle::Iso), CHANNEL_KEYS))
        .collect();
    Ok((items, total))
}

async fn users(
    state: &AppState,
    caller: &User,
    text: &str,
    sort: Sort,
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    if !state.authz.has_global(caller, "view-outside-room") {
        return Err(invalid());
    }
    let full = state.authz.has_global(caller, "view-full-other-user-info");
    let fixed = Filter::from_mongo(
        &json!({
            "active": true,
            "type": {"$ne": "app"},
            "username": {"$ne": caller.username},
        }),
        ferrochat_store::users::FIELDS,
    )?;
    let filter = fixed.and(name_filter(
        text,
        &["username", "name"],
        ferrochat_store::users::PUBLIC_FIELDS,
    )?);
    let sort = if sort.0.is_empty() {
        Sort(vec![("username", true)])
    } else {
        sort
    };
    let (found, total) = state.store.list_users(&filter, &sort, page).await?;
    let items = found.iter().map(|user| user_entry(user, full)).collect();
    Ok((items, total))
}

fn user_entry(user: &User, with_email: bool) -> Value {
    let mut doc = Map::new();
    doc.insert("_id".into(), json!(user.id));
    doc.insert("username".into(), json!(user.username));
    doc.insert("name".into(), json!(user.name));
    doc.insert("createdAt".into(), DateStyle::Iso.date(user.created_at));
    if let Some(nickname) = &user.nickname {
        doc.insert("nickname".into(), json!(nickname));
    }
    if let Some(bio) = &user.bio {
        doc.insert("bio".into(), json!(bio));
    }
    if let Some(etag) = &user.avatar_etag {
        doc.insert("avatarETag".into(), json!(etag));
    }
    if with_email && let Some(email) = &user.email {
        doc.insert(
            "emails".into(),
            json!([{"address": email, "verified": user.email_verified}]),
        );
    }
    Value::Object(doc)
}

fn pick(doc: Value, keys: &[&str]) -> Value {
    match doc {
        Value::Object(mut map) => {
            map.retain(|k, _| keys.contains(&k.as_str()));
            Value::Object(map)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_literal() {
        assert_eq!(literal_pattern("a.b*"), "a\\.b\\*");
        assert_eq!(literal_pattern("dév"), "dév");
        assert_eq!(literal_pattern("x y"), "x\\ y");
    }

    #[test]
    fn listing_defaults_to_channels_and_refuses_teams() {
        assert_eq!(Listing::parse(None).unwrap(), Listing::Channels);
        assert_eq!(Listing::parse(Some("users")).unwrap(), Listing::Users);
        assert!(Listing::parse(Some("teams")).is_err());
    }
}
