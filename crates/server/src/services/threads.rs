//! Threads: listing a room's threads and a thread's replies, following and unfollowing, and
//! a member's unread threads (`tunread*` on the subscription). Replies are counted on their
//! parent by the store when they are inserted.

use ferrochat_model::time::now_ms;
use ferrochat_model::{Message, User};
use ferrochat_store::Page;
use ferrochat_store::message_state::Selection;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::services::{events, message_access};
use crate::state::AppState;

pub fn check_enabled(state: &AppState) -> Result<()> {
    if state.settings.bool("Threads_enabled") {
        Ok(())
    } else {
        Err(Error::failure("error-not-allowed", "Threads Disabled"))
    }
}

/// `chat.getThreadsList`'s `type`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThreadFilter {
    All,
    Following,
    Unread,
}

impl ThreadFilter {
    pub fn parse(text: Option<&str>) -> Result<Self> {
        match text {
            None | Some("all") => Ok(ThreadFilter::All),
            Some("following") => Ok(ThreadFilter::Following),
            Some("unread") => Ok(ThreadFilter::Unread),
            Some(other) => Err(Error::failure(
                "error-invalid-params",
                format!("Invalid thread list type \"{other}\""),
            )),
        }
    }
}

/// The threads of a room the caller may read (whose text contains `text`, when given), most
/// recently active first.
pub async fn list(
    state: &AppState,
    user: &User,
    rid: &str,
    filter: ThreadFilter,
    text: Option<&str>,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    check_enabled(state)?;
    message_access::readable_room(state, user, rid).await?;
    let unread: Vec<String>;
    let selection = match filter {
        ThreadFilter::All => Selection::Threads,
        ThreadFilter::Following => Selection::ThreadsFollowedBy(&user.id),
        ThreadFilter::Unread => {
            unread = match state.store.subscription(rid, &user.id).await? {
                Some(sub) => sub
                    .extra
                    .get("tunread")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                None => Vec::new(),
            };
            Selection::ThreadsAmong(&unread)
        }
    };
    Ok(state
        .store
        .select_messages(rid, selection, text.map(str::trim), page)
        .await?)
}

/// The replies of the thread `tmid` (oldest first).
pub async fn replies(
    state: &AppState,
    user: &User,
    tmid: &str,
    page: Page,
) -> Result<(Vec<Message>, i64)> {
    check_enabled(state)?;
    let (parent, _) = message_access::readable(state, user, tmid).await?;
    Ok(state
        .store
        .select_messages(&parent.rid, Selection::Replies(&parent.id), None, page)
        .await?)
}

/// The thread a message belongs to (its root), readable by `user`.
async fn thread_of(state: &AppState, user: &User, mid: &str) -> Result<Message> {
    let (message, _) = message_access::readable(state, user, mid).await?;
    match &message.tmid {
        Some(root) => Ok(message_access::readable(state, user, root).await?.0),
        None => Ok(message),
    }
}

/// Follows (or stops following) the thread of message `mid`. Unfollowing also clears the
/// thread from the caller's unread threads.
pub async fn follow(state: &AppState, user: &User, mid: &str, following: bool) -> Result<()> {
    check_enabled(state)?;
    let root = thread_of(state, user, mid).await?;
    let uid = user.id.clone();
    let now = now_ms();
    let changed = state
        .store
        .modify_message(&root.id, |message| {
            let mut replies: Vec<Value> = message
                .extra
                .get("replies")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let has = replies.iter().any(|r| r.as_str() == Some(&uid));
            if has == following {
                return Ok::<_, Error>(None);
            }
            if following {
                replies.push(Value::String(uid.clone()));
            } else {
                replies.retain(|r| r.as_str() != Some(&uid));
            }
            message
                .extra
                .insert("replies".into(), Value::Array(replies));
            message.updated_at = now;
            Ok(Some(()))
        })
        .await?;
    message_access::settle(state, changed).await?;
    if !following {
        read(state, user, &root.rid, &root.id).await?;
    }
    Ok(())
}

/// Marks a thread read for the caller and tells their clients.
pub async fn read(state: &AppState, user: &User, rid: &str, tmid: &str) -> Result<()> {
    if state
        .store
        .read_thread(rid, &user.id, tmid, now_ms())
        .await?
        && let Some(sub) = state.store.subscription(rid, &user.id).await?
    {
        events::subscription_changed(state, "updated", &sub);
    }
    Ok(())
}

/// `readThreads(tmid)`: the caller opened a thread.
pub async fn read_by_id(state: &AppState, user: &User, tmid: &str) -> Result<()> {
    check_enabled(state)?;
    let (message, _) = message_access::readable(state, user, tmid).await?;
    read(state, user, &message.rid, &message.id).await
}
