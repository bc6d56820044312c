//! What changed in a room since a client last looked: `chat.syncMessages`,
//! `chat.getDeletedMessages`, `chat.syncThreadsList`, `chat.syncThreadMessages`.

use ferrochat_model::{Message, User};
use ferrochat_store::message_sync::{Deleted, SyncScope};

use crate::error::Result;
use crate::services::{message_access, threads};
use crate::state::AppState;

/// The most changed messages one sync answers with; a client that is further behind reloads.
pub const SYNC_LIMIT: i64 = 500;

pub struct Changes {
    pub updated: Vec<Message>,
    pub deleted: Vec<Deleted>,
}

async fn changes(state: &AppState, rid: &str, scope: SyncScope<'_>, since: i64) -> Result<Changes> {
    Ok(Changes {
        updated: state
            .store
            .messages_changed_since(rid, scope, since, SYNC_LIMIT)
            .await?,
        deleted: state
            .store
            .messages_deleted_since(rid, scope, since)
            .await?,
    })
}

/// A room's messages changed or deleted since `since`.
pub async fn room(state: &AppState, user: &User, rid: &str, since: i64) -> Result<Changes> {
    message_access::readable_room(state, user, rid).await?;
    changes(state, rid, SyncScope::Room, since).await
}

/// A room's messages deleted since `since` (`chat.getDeletedMessages`).
pub async fn deleted_in_room(
    state: &AppState,
    user: &User,
    rid: &str,
    since: i64,
) -> Result<Vec<Deleted>> {
    message_access::readable_room(state, user, rid).await?;
    Ok(state
        .store
        .messages_deleted_since(rid, SyncScope::Room, since)
        .await?)
}

/// A room's threads changed or deleted since `since`.
pub async fn threads_of_room(
    state: &AppState,
    user: &User,
    rid: &str,
    since: i64,
) -> Result<Changes> {
    threads::check_enabled(state)?;
    message_access::readable_room(state, user, rid).await?;
    changes(state, rid, SyncScope::Threads, since).await
}

/// A thread's replies changed or deleted since `since`.
pub async fn thread_replies(
    state: &AppState,
    user: &User,
    tmid: &str,
    since: i64,
) -> Result<Changes> {
    threads::check_enabled(state)?;
    let (parent, _) = message_access::readable(state, user, tmid).await?;
    changes(state, &parent.rid, SyncScope::Replies(&parent.id), since).await
}
