//! Stars (`chat.starMessage` / `chat.unStarMessage`, `starMessage`): a member's private
//! bookmark on a message, stored as `starred: [{_id: <user id>}]`.

use ferrochat_model::User;
use ferrochat_model::time::now_ms;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::message_access;
use crate::state::AppState;

pub async fn set_star(state: &AppState, user: &User, msg_id: &str, starred: bool) -> Result<()> {
    if !state.settings.bool("Message_AllowStarring") {
        return Err(
            Error::failure("error-action-not-allowed", "Message starring not allowed")
                .with_details(json!({"method": "starMessage", "action": "Message_starring"})),
        );
    }
    let (message, _) = message_access::readable(state, user, msg_id).await?;
    // Only members keep bookmarks (Rocket.Chat looks for the subscription).
    if state
        .store
        .subscription(&message.rid, &user.id)
        .await?
        .is_none()
    {
        return Err(Error::failure("error-action-not-allowed", "Not allowed")
            .with_details(json!({"method": "starMessage"})));
    }
    let uid = user.id.clone();
    let now = now_ms();
    let changed = state
        .store
        .modify_message(msg_id, |message| {
            let mut list: Vec<Value> = message
                .extra
                .get("starred")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let has = list.iter().any(|s| s["_id"].as_str() == Some(&uid));
            if has == starred {
                return Ok::<_, Error>(None);
            }
            if starred {
                list.push(json!({"_id": uid}));
            } else {
                list.retain(|s| s["_id"].as_str() != Some(&uid));
            }
            if list.is_empty() {
                message.extra.remove("starred");
            } else {
                message.extra.insert("starred".into(), Value::Array(list));
            }
            message.updated_at = now;
            Ok(Some(()))
        })
        .await?;
    message_access::settle(state, changed).await?;
    Ok(())
}
