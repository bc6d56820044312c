//! Changes to a message's state after it was sent (reactions, stars, pins, thread followers),
//! thread bookkeeping when a reply arrives, and the selections that read that state back
//! (pinned, starred, mentioned, threads). Each change is a read-modify-write of the message
//! inside one transaction, with the row locked on PostgreSQL (SQLite has one writer).

use ferrochat_model::Message;
use serde_json::{Map, Value, json};
use sqlx::Transaction;

use crate::filter::list_contains;
use crate::messages::{COLUMNS, Delivery, from_row};
use crate::rows::{get, json_text, object};
use crate::{Dialect, Page, Result, Store};

type Tx<'a> = Transaction<'a, sqlx::Any>;

/// Columns derived from a message's document, written with it on every change.
pub(crate) struct Derived {
    pub pinned: bool,
    pub tlm: Option<i64>,
    pub starred_by: String,
    pub mentioned_ids: String,
    pub followers: String,
    pub drid: Option<String>,
}

/// A subscription's lists of unread threads: all, those mentioning the member, those with
/// `@all` / `@here`.
const UNREAD_THREAD_KEYS: [&str; 3] = ["tunread", "tunreadUser", "tunreadGroup"];

pub(crate) const DERIVED_COLUMNS: &str = "pinned, tlm, starred_by, mentioned_ids, followers, drid";

/// The `_id`s of a list of `{_id, ...}` objects, or the strings of a list of ids.
fn ids(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| match item {
            Value::String(id) => Some(id.clone()),
            Value::Object(doc) => doc.get("_id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

impl Derived {
    pub(crate) fn of(message: &Message) -> Self {
        Derived {
            pinned: message.extra.get("pinned") == Some(&Value::Bool(true)),
            tlm: message.extra.get("tlm").and_then(Value::as_i64),
            starred_by: json_text(&ids(message.extra.get("starred"))),
            mentioned_ids: json_text(&ids(message.extra.get("mentions"))),
            followers: json_text(&ids(message.extra.get("replies"))),
            drid: message
                .extra
                .get("drid")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// Who changes a message and when, for the saved earlier version.
pub struct VersionAuthor<'a> {
    /// A fresh id for the saved version.
    pub version_id: &'a str,
    pub user_id: &'a str,
    pub at: i64,
}

/// Which messages of a room to list.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    Pinned,
    StarredBy(&'a str),
    Mentioning(&'a str),
    /// Thread parents, most recent reply first.
    Threads,
    /// Thread parents the user follows.
    ThreadsFollowedBy(&'a str),
    /// Thread parents among the given ids (a member's unread threads).
    ThreadsAmong(&'a [String]),
    /// The replies of one thread, oldest first.
    Replies(&'a str),
    /// Messages that announce or started a discussion (`drid` set).
    Discussions,
}

impl Store {
    /// Changes a message atomically: `change` sees the current message and either edits it
    /// (returning `Ok(Some(out))`, and the message is written back) or leaves it alone
    /// (`Ok(None)`); an error aborts. Returns the message as stored afterwards, or `None`
    /// when there is no such message.
    pub async fn modify_message<T, E>(
        &self,
        id: &str,
        change: impl FnOnce(&mut Message) -> std::result::Result<Option<T>, E>,
    ) -> Result<Option<(Message, std::result::Result<Option<T>, E>)>> {
        self.modify_message_keeping(id, None, change).await
    }

    /// [`Store::modify_message`] that, when `keep` names who is changing it, first saves the
    /// message as it was into its history (`Message_KeepHistory`).
    pub async fn modify_message_keeping<T, E>(
        &self,
        id: &str,
        keep: Option<&VersionAuthor<'_>>,
        change: impl FnOnce(&mut Message) -> std::result::Result<Option<T>, E>,
    ) -> Result<Option<(Message, std::result::Result<Option<T>, E>)>> {
        let mut tx = self.write.begin().await?;
        let Some(mut message) = self.locked_message(&mut tx, id).await? else {
            return Ok(None);
        };
        let before = keep.map(|_| message.clone());
        let outcome = change(&mut message);
        if let Ok(Some(_)) = &outcome {
            if let (Some(author), Some(before)) = (keep, &before) {
                Self::save_version(&mut tx, before, author).await?;
            }
            Self::rewrite(&mut tx, &message).await?;
            Self::sync_room_copy(&mut tx, &message).await?;
            tx.commit().await?;
        }
        Ok(Some((message, outcome)))
    }

    pub(crate) async fn save_version(
        tx: &mut Tx<'_>,
        message: &Message,
        author: &VersionAuthor<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_history (id, message_id, rid, changed_at, changed_by, doc) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(author.version_id)
        .bind(&message.id)
        .bind(&message.rid)
        .bind(author.at)
        .bind(author.user_id)
        .bind(json_text(message))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Earlier versions of a message, oldest first: (who changed it, when, the message).
    pub async fn message_versions(&self, message_id: &str) -> Result<Vec<(String, i64, Message)>> {
        let rows = sqlx::query(
            "SELECT changed_by, changed_at, doc FROM message_history WHERE message_id = $1 ORDER BY changed_at",
        )
        .bind(message_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let doc: String = get(row, "doc")?;
                let message: Message = serde_json::from_str(&doc)
                    .map_err(|e| crate::StoreError::Corrupt(format!("message version: {e}")))?;
                Ok((get(row, "changed_by")?, get(row, "changed_at")?, message))
            })
            .collect()
    }

    async fn locked_message(&self, tx: &mut Tx<'_>, id: &str) -> Result<Option<Message>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM messages WHERE id = $1{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A reply arrived in thread `tmid`: the parent counts it (`tcount`, `tlm`), its author,
    /// the replier and those mentioned follow the thread (`replies`), and the thread becomes
    /// unread for the other followers (`tunread`, plus `tunreadUser` / `tunreadGroup` for
    /// mentions).
    pub(crate) async fn count_thread_reply(
        &self,
        tx: &mut Tx<'_>,
        tmid: &str,
        reply: &Message,
        delivery: &Delivery,
    ) -> Result<()> {
        let Some(mut parent) = self.locked_message(tx, tmid).await? else {
            return Ok(());
        };
        let mut followers = ids(parent.extra.get("replies"));
        let mut joining = Vec::new();
        if followers.is_empty() {
            joining.push(parent.user.id.clone());
        }
        joining.push(reply.user.id.clone());
        joining.extend(delivery.mentioned_user_ids.iter().cloned());
        for id in joining {
            if !followers.contains(&id) {
                followers.push(id);
            }
        }
        let tcount = parent
            .extra
            .get("tcount")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        parent.extra.insert("tcount".into(), json!(tcount));
        parent.extra.insert("tlm".into(), json!(reply.ts));
        parent.extra.insert("replies".into(), json!(followers));
        parent.updated_at = reply.ts;
        Self::rewrite(tx, &parent).await?;
        Self::sync_room_copy(tx, &parent).await?;
        for follower in followers.iter().filter(|id| **id != reply.user.id) {
            let user_mention = delivery.mentioned_user_ids.contains(follower);
            self.mark_thread_unread(
                tx,
                &reply.rid,
                follower,
                tmid,
                user_mention,
                delivery.group_mention,
                reply.ts,
            )
            .await?;
        }
        Ok(())
    }

    /// A message arrived in a discussion: every message pointing at it (`drid`) counts it.
    pub(crate) async fn count_discussion_message(
        &self,
        tx: &mut Tx<'_>,
        message: &Message,
    ) -> Result<()> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM messages WHERE drid = $1{lock}"
        ))
        .bind(&message.rid)
        .fetch_all(&mut **tx)
        .await?;
        for row in &rows {
            let mut announcing = from_row(row)?;
            let dcount = announcing
                .extra
                .get("dcount")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            announcing.extra.insert("dcount".into(), json!(dcount + 1));
            announcing.extra.insert("dlm".into(), json!(message.ts));
            announcing.updated_at = message.ts;
            Self::rewrite(tx, &announcing).await?;
            Self::sync_room_copy(tx, &announcing).await?;
        }
        Ok(())
    }

    /// A reply of thread `tmid` was deleted: the parent counts one fewer.
    pub(crate) async fn uncount_thread_reply(
        &self,
        tx: &mut Tx<'_>,
        tmid: &str,
        now: i64,
    ) -> Result<()> {
        let Some(mut parent) = self.locked_message(tx, tmid).await? else {
            return Ok(());
        };
        let tcount = parent
            .extra
            .get("tcount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        parent
            .extra
            .insert("tcount".into(), json!((tcount - 1).max(0)));
        parent.updated_at = now;
        Self::rewrite(tx, &parent).await?;
        Self::sync_room_copy(tx, &parent).await?;
        Ok(())
    }

    /// Edits a member's subscription document inside `tx`: `change` returns whether it
    /// changed anything, and only then is it written. False when there is no such member.
    async fn edit_subscription_extra(
        tx: &mut Tx<'_>,
        rid: &str,
        user_id: &str,
        now: i64,
        change: impl FnOnce(&mut Map<String, Value>) -> bool,
    ) -> Result<bool> {
        let row =
            sqlx::query("SELECT id, extra FROM subscriptions WHERE rid = $1 AND user_id = $2")
                .bind(rid)
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let mut extra = object(&get::<String>(&row, "extra")?)?;
        if !change(&mut extra) {
            return Ok(false);
        }
        sqlx::query("UPDATE subscriptions SET extra = $2, updated_at = $3 WHERE id = $1")
            .bind(get::<String>(&row, "id")?)
            .bind(json_text(&extra))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    async fn mark_thread_unread(
        &self,
        tx: &mut Tx<'_>,
        rid: &str,
        user_id: &str,
        tmid: &str,
        user_mention: bool,
        group_mention: bool,
        now: i64,
    ) -> Result<()> {
        Self::edit_subscription_extra(tx, rid, user_id, now, |extra| {
            add_to_set(extra, "tunread", tmid);
            if user_mention {
                add_to_set(extra, "tunreadUser", tmid);
            }
            if group_mention {
                add_to_set(extra, "tunreadGroup", tmid);
            }
            true
        })
        .await?;
        Ok(())
    }

    /// Clears every unread thread of a member in a room.
    pub async fn read_all_threads(&self, rid: &str, user_id: &str, now: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let changed = Self::edit_subscription_extra(&mut tx, rid, user_id, now, |extra| {
            let mut changed = false;
            for key in UNREAD_THREAD_KEYS {
                if extra
                    .get(key)
                    .and_then(Value::as_array)
                    .is_some_and(|l| !l.is_empty())
                {
                    extra.insert(key.into(), json!([]));
                    changed = true;
                }
            }
            changed
        })
        .await?;
        if changed {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Marks thread `tmid` read for a member; returns whether it was unread.
    pub async fn read_thread(
        &self,
        rid: &str,
        user_id: &str,
        tmid: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let changed = Self::edit_subscription_extra(&mut tx, rid, user_id, now, |extra| {
            let mut changed = false;
            for key in UNREAD_THREAD_KEYS {
                if let Some(Value::Array(list)) = extra.get_mut(key) {
                    let before = list.len();
                    list.retain(|v| v.as_str() != Some(tmid));
                    changed |= list.len() != before;
                }
            }
            changed
        })
        .await?;
        if changed {
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// A page of a room's messages picked by `selection` (and, with `text`, whose text
    /// contains it, ignoring case), and how many there are in all.
    pub async fn select_messages(
        &self,
        rid: &str,
        selection: Selection<'_>,
        text: Option<&str>,
        page: Page,
    ) -> Result<(Vec<Message>, i64)> {
        let mut binds: Vec<String> = vec![rid.to_owned()];
        let (condition, order) = match selection {
            Selection::Pinned => (
                match self.dialect {
                    Dialect::Postgres => "pinned".to_owned(),
                    Dialect::Sqlite => "pinned = 1".to_owned(),
                },
                "ts DESC",
            ),
            Selection::StarredBy(uid) => {
                binds.push(uid.to_owned());
                (list_contains(self.dialect, "starred_by", "$2"), "ts DESC")
            }
            Selection::Mentioning(uid) => {
                binds.push(uid.to_owned());
                (
                    list_contains(self.dialect, "mentioned_ids", "$2"),
                    "ts DESC",
                )
            }
            Selection::Threads => ("tlm IS NOT NULL".to_owned(), "tlm DESC"),
            Selection::ThreadsFollowedBy(uid) => {
                binds.push(uid.to_owned());
                (
                    format!(
                        "tlm IS NOT NULL AND {}",
                        list_contains(self.dialect, "followers", "$2")
                    ),
                    "tlm DESC",
                )
            }
            Selection::ThreadsAmong(ids) => {
                if ids.is_empty() {
                    return Ok((Vec::new(), 0));
                }
                let placeholders: Vec<String> =
                    (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
                binds.extend(ids.iter().cloned());
                (
                    format!("tlm IS NOT NULL AND id IN ({})", placeholders.join(", ")),
                    "tlm DESC",
                )
            }
            Selection::Replies(tmid) => {
                binds.push(tmid.to_owned());
                ("tmid = $2".to_owned(), "ts ASC")
            }
            Selection::Discussions => ("drid IS NOT NULL".to_owned(), "ts DESC"),
        };
        let mut where_sql = format!(" WHERE rid = $1 AND {condition}");
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            binds.push(format!("%{}%", like_escape(&text.to_lowercase())));
            where_sql.push_str(&format!(
                " AND LOWER(msg) LIKE ${} ESCAPE '\\'",
                binds.len()
            ));
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM messages{where_sql} ORDER BY {order}{}",
            page.sql(self.dialect)
        );
        let mut query = sqlx::query(&sql);
        for bind in &binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&self.read).await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM messages{where_sql}");
        let mut count = sqlx::query(&count_sql);
        for bind in &binds {
            count = count.bind(bind);
        }
        let total: i64 = get(&count.fetch_one(&self.read).await?, "n")?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }
}

/// `text` with LIKE's wildcards (and the escape character) taken literally.
pub(crate) fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn add_to_set(doc: &mut Map<String, Value>, key: &str, item: &str) {
    let entry = doc
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    if let Value::Array(list) = entry
        && !list.iter().any(|v| v.as_str() == Some(item))
    {
        list.push(Value::String(item.to_owned()));
    }
}
