//! Keeping clients' copies of a room in step: messages changed or deleted since a time
//! (`chat.syncMessages`, `chat.getDeletedMessages`, the thread sync endpoints), and deleting
//! a range of a room's history at once (`rooms.cleanHistory`).

use ferrochat_model::Message;
use serde_json::Value;

use crate::messages::{COLUMNS, from_row};
use crate::rows::{get, json_text, object};
use crate::{Dialect, Result, Store};

/// Which of a room's messages a sync is about.
#[derive(Debug, Clone, Copy)]
pub enum SyncScope<'a> {
    Room,
    /// Thread parents.
    Threads,
    /// The replies of one thread.
    Replies(&'a str),
}

/// A deleted message as sync reports it.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub id: String,
    pub deleted_at: i64,
}

/// What `rooms.cleanHistory` removes.
#[derive(Debug, Clone, Default)]
pub struct CleanRange {
    pub oldest: i64,
    pub latest: i64,
    pub inclusive: bool,
    pub exclude_pinned: bool,
    pub ignore_threads: bool,
    /// Only messages by these usernames (all when empty).
    pub usernames: Vec<String>,
    /// At most this many (the newest first), when set.
    pub limit: Option<i64>,
}

impl Store {
    /// Messages in scope changed after `since`, newest first (at most `limit`).
    pub async fn messages_changed_since(
        &self,
        rid: &str,
        scope: SyncScope<'_>,
        since: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let (condition, extra_bind) = match scope {
            SyncScope::Room => ("", None),
            SyncScope::Threads => (" AND tlm IS NOT NULL", None),
            SyncScope::Replies(tmid) => (" AND tmid = $3", Some(tmid)),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE rid = $1 AND updated_at > $2{condition} \
             ORDER BY updated_at DESC LIMIT {}",
            limit.max(1)
        );
        let mut query = sqlx::query(&sql).bind(rid).bind(since);
        if let Some(tmid) = extra_bind {
            query = query.bind(tmid);
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Messages in scope deleted after `since`, oldest deletion first.
    pub async fn messages_deleted_since(
        &self,
        rid: &str,
        scope: SyncScope<'_>,
        since: i64,
    ) -> Result<Vec<Deleted>> {
        let rows = sqlx::query(
            "SELECT id, deleted_at, doc FROM trash WHERE collection = 'messages' AND rid = $1 \
             AND deleted_at > $2 ORDER BY deleted_at",
        )
        .bind(rid)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        let mut deleted = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc = object(&get::<String>(row, "doc")?)?;
            let in_scope = match scope {
                SyncScope::Room => true,
                SyncScope::Threads => doc.get("thread") == Some(&Value::Bool(true)),
                SyncScope::Replies(tmid) => doc.get("tmid").and_then(Value::as_str) == Some(tmid),
            };
            if in_scope {
                deleted.push(Deleted {
                    id: get(row, "id")?,
                    deleted_at: get(row, "deleted_at")?,
                });
            }
        }
        Ok(deleted)
    }

    /// Deletes the room's messages in `range` (into the trash) and repairs the room's
    /// message count and last message; returns what was deleted.
    pub async fn delete_history(
        &self,
        rid: &str,
        range: &CleanRange,
        now: i64,
    ) -> Result<Vec<Message>> {
        let (after, before) = if range.inclusive {
            (">=", "<=")
        } else {
            (">", "<")
        };
        let mut sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE rid = $1 AND ts {after} $2 AND ts {before} $3"
        );
        if range.exclude_pinned {
            sql.push_str(match self.dialect {
                Dialect::Sqlite => " AND pinned = 0",
                Dialect::Postgres => " AND NOT pinned",
            });
        }
        if range.ignore_threads {
            sql.push_str(" AND tmid IS NULL AND tlm IS NULL");
        }
        if !range.usernames.is_empty() {
            let params: Vec<String> = (0..range.usernames.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            sql.push_str(&format!(" AND username IN ({})", params.join(", ")));
        }
        sql.push_str(" ORDER BY ts DESC");
        if let Some(limit) = range.limit.filter(|l| *l > 0) {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut tx = self.write.begin().await?;
        let mut query = sqlx::query(&sql)
            .bind(rid)
            .bind(range.oldest)
            .bind(range.latest);
        for username in &range.usernames {
            query = query.bind(username);
        }
        let doomed: Vec<Message> = query
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<_>>()?;
        for message in &doomed {
            sqlx::query("DELETE FROM messages WHERE id = $1")
                .bind(&message.id)
                .execute(&mut *tx)
                .await?;
            Self::trash_message(&mut tx, message, now).await?;
            // A parent deleted in the same sweep is simply not found.
            if let Some(tmid) = &message.tmid {
                self.uncount_thread_reply(&mut tx, tmid, now).await?;
            }
        }
        if !doomed.is_empty() {
            let last = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM messages WHERE rid = $1 AND tmid IS NULL ORDER BY ts DESC LIMIT 1"
            ))
            .bind(rid)
            .fetch_optional(&mut *tx)
            .await?;
            let last = last.as_ref().map(from_row).transpose()?;
            sqlx::query(
                "UPDATE rooms SET msgs = (SELECT COUNT(*) FROM messages WHERE rid = $1), lm = $2, \
                 last_message = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(rid)
            .bind(last.as_ref().map(|m| m.ts))
            .bind(last.as_ref().map(json_text))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(doomed)
    }
}
