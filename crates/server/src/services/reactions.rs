//! Reactions (`chat.react`, `setReaction`): a user toggles an emoji on a message; the
//! message carries `reactions: {":name:": {usernames: [...]}}`.

use ferrochat_model::User;
use ferrochat_model::time::now_ms;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::registry::emoji;
use crate::services::{custom_emoji, message_access};
use crate::state::AppState;

/// What the caller wants: flip the reaction, or make sure it is on or off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Want {
    Toggle,
    On,
    Off,
}

impl Want {
    pub fn from_should_react(should_react: Option<bool>) -> Self {
        match should_react {
            None => Want::Toggle,
            Some(true) => Want::On,
            Some(false) => Want::Off,
        }
    }
}

fn invalid_emoji() -> Error {
    Error::failure("error-not-allowed", "Invalid emoji provided.")
        .with_details(json!({"method": "setReaction"}))
}

/// The bare name of `name` or `:name:`.
fn bare_name(reaction: &str) -> Result<&str> {
    let name = reaction.trim();
    let name = name
        .strip_prefix(':')
        .and_then(|n| n.strip_suffix(':'))
        .unwrap_or(name);
    if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
        return Err(invalid_emoji());
    }
    Ok(name)
}

/// `:name:` for `name` or `:name:`, if it names a standard or custom emoji.
pub async fn normalize(state: &AppState, reaction: &str) -> Result<String> {
    let name = bare_name(reaction)?;
    if emoji::is_standard(name) || custom_emoji::exists(state, name).await? {
        Ok(format!(":{name}:"))
    } else {
        Err(invalid_emoji())
    }
}

pub async fn set_reaction(
    state: &AppState,
    user: &User,
    msg_id: &str,
    reaction: &str,
    want: Want,
) -> Result<()> {
    let reaction = normalize(state, reaction).await?;
    let (_, room) = message_access::readable(state, user, msg_id).await?;
    if room.muted.iter().any(|m| m == &user.username) {
        return Err(Error::failure("error-not-allowed", "You have been muted")
            .with_details(json!({"method": "setReaction"})));
    }
    if room.read_only
        && !state
            .authz
            .has(&state.store, user, "post-readonly", Some(&room.id))
            .await?
    {
        return Err(Error::failure(
            "error-not-allowed",
            "You can't send messages because the room is readonly.",
        )
        .with_details(json!({"method": "setReaction"})));
    }
    let username = user.username.clone();
    let now = now_ms();
    let changed = state
        .store
        .modify_message(msg_id, |message| {
            let reactions = message
                .extra
                .entry("reactions")
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(reactions) = reactions else {
                return Err(message_access::invalid_message());
            };
            let mut usernames: Vec<Value> = reactions
                .get(&reaction)
                .and_then(|r| r.get("usernames"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let has = usernames.iter().any(|u| u.as_str() == Some(&username));
            let add = match want {
                Want::Toggle => !has,
                Want::On => true,
                Want::Off => false,
            };
            if add == has {
                return Ok(None);
            }
            if add {
                usernames.push(Value::String(username.clone()));
            } else {
                usernames.retain(|u| u.as_str() != Some(&username));
            }
            if usernames.is_empty() {
                reactions.remove(&reaction);
            } else {
                reactions.insert(reaction.clone(), json!({"usernames": usernames}));
            }
            if reactions.is_empty() {
                message.extra.remove("reactions");
            }
            message.updated_at = now;
            Ok(Some(()))
        })
        .await?;
    message_access::settle(state, changed).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bare_name;

    #[test]
    fn reactions_are_single_names() {
        assert_eq!(bare_name(":smile:").unwrap(), "smile");
        assert_eq!(bare_name("thumbsup").unwrap(), "thumbsup");
        assert!(bare_name("::").is_err());
        assert!(bare_name("").is_err());
        assert!(bare_name(":a b:").is_err());
        assert!(bare_name(":a:b:").is_err());
    }
}
