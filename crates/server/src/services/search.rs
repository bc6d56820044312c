//! `chat.search` / `messageSearch`: full-text search over the rooms the caller may read, with
//! Rocket.Chat's filters `from:<username>`, `is:pinned` (`has:pin`) and `has:star`.

use ferrochat_model::{Message, User};
use ferrochat_store::Page;
use ferrochat_store::search::{SearchQuery, terms_of};

use crate::error::Result;
use crate::services::message_access;
use crate::state::AppState;

/// Splits the search text into filters and free-text terms.
pub fn parse(text: &str, caller: &User) -> SearchQuery {
    let mut query = SearchQuery::default();
    for word in text.split_whitespace() {
        let lower = word.to_lowercase();
        if let Some(username) = lower.strip_prefix("from:") {
            let username = username.trim_start_matches('@');
            if username == "me" {
                query.from_username = Some(caller.username.clone());
            } else if !username.is_empty() {
                // Usernames keep their case in storage; take the word as typed.
                query.from_username = Some(
                    word.get(5..)
                        .unwrap_or("")
                        .trim_start_matches('@')
                        .to_owned(),
                );
            }
        } else if lower == "is:pinned" || lower == "has:pin" {
            query.pinned_only = true;
        } else if lower == "has:star" || lower == "is:starred" {
            query.starred_by = Some(caller.id.clone());
        } else {
            query.terms.push(word.to_owned());
        }
    }
    query
}

/// Whether the query can match anything: text that reduces to no words (only punctuation)
/// matches nothing, and an empty query asks for nothing.
fn is_answerable(query: &SearchQuery) -> bool {
    let words = query.terms.iter().flat_map(|t| terms_of(t)).count();
    if !query.terms.is_empty() && words == 0 {
        return false;
    }
    words > 0 || query.from_username.is_some() || query.pinned_only || query.starred_by.is_some()
}

/// Searches one room (which the caller must be able to read) or, without a room, every room
/// the caller is a member of.
pub async fn search(
    state: &AppState,
    caller: &User,
    rid: Option<&str>,
    text: &str,
    page: Page,
) -> Result<Vec<Message>> {
    let rids: Vec<String> = match rid {
        Some(rid) => {
            message_access::readable_room(state, caller, rid).await?;
            vec![rid.to_owned()]
        }
        None => state
            .store
            .subscriptions_of_user(&caller.id, None)
            .await?
            .into_iter()
            .map(|s| s.rid)
            .collect(),
    };
    let query = parse(text, caller);
    if !is_answerable(&query) {
        return Ok(Vec::new());
    }
    Ok(state.store.search_messages(&rids, &query, page).await?)
}
