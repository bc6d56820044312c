//! Lists of a room's messages picked by their state: pinned, starred by the caller,
//! mentioning the caller (`chat.getPinnedMessages`, `chat.getStarredMessages`,
//! `chat.getMentionedMessages`).

use ferrochat_model::{Message, User};
use ferrochat_store::Page;
use ferrochat_store::message_state::Selection;

use crate::error::Result;
use crate::services::message_access;
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Pinned,
    Starred,
    Mentioned,
}

pub async fn list(
    state: &AppState,
    user: &User,
    rid: &str,
    kind: Kind,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    message_access::readable_room(state, user, rid).await?;
    let selection = match kind {
        Kind::Pinned => Selection::Pinned,
        Kind::Starred => Selection::StarredBy(&user.id),
        Kind::Mentioned => Selection::Mentioning(&user.id),
    };
    Ok(state
        .store
        .select_messages(rid, selection, None, page)
        .await?)
}
