//! Messages, and the room and membership counters that move with them.

use std::collections::HashSet;

use ferrochat_model::{Message, UserRef};
use sqlx::any::AnyRow;

use crate::filter::{FieldKind, FieldMap, bind_all};
use crate::message_state::{DERIVED_COLUMNS, Derived, VersionAuthor};
use crate::rows::{get, json_text, object};
use crate::{Filter, Page, Result, Sort, Store, StoreError, classify};

pub(crate) const COLUMNS: &str = "id, rid, msg, ts, user_id, username, user_name, updated_at, t, tmid, edited_at, edited_by, extra";

/// Fields of `channels.messages?query=` and `sort=`.
pub const FIELDS: FieldMap = &[
    ("_id", "id", FieldKind::Text),
    ("msg", "msg", FieldKind::Text),
    ("ts", "ts", FieldKind::Date),
    ("_updatedAt", "updated_at", FieldKind::Date),
    ("u._id", "user_id", FieldKind::Text),
    ("u.username", "username", FieldKind::Text),
    ("t", "t", FieldKind::Text),
    ("tmid", "tmid", FieldKind::Text),
    ("editedAt", "edited_at", FieldKind::Date),
];

pub(crate) fn from_row(row: &AnyRow) -> Result<Message> {
    let edited_by: Option<String> = get(row, "edited_by")?;
    Ok(Message {
        id: get(row, "id")?,
        rid: get(row, "rid")?,
        msg: get(row, "msg")?,
        ts: get(row, "ts")?,
        user: UserRef {
            id: get(row, "user_id")?,
            username: get(row, "username")?,
            name: get(row, "user_name")?,
        },
        updated_at: get(row, "updated_at")?,
        t: get(row, "t")?,
        tmid: get(row, "tmid")?,
        edited_at: get(row, "edited_at")?,
        edited_by: edited_by
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("editedBy: {e}")))?,
        extra: object(&get::<String>(row, "extra")?)?,
    })
}

/// Who a new message notifies, beyond making the room unread for every other member.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Members mentioned by name.
    pub mentioned_user_ids: Vec<String>,
    /// `@all` / `@here`.
    pub group_mention: bool,
    /// The room is a discussion: the messages announcing it count this one (`dcount`, `dlm`).
    pub in_discussion: bool,
}

/// A window of a room's history, newest first (`channels.history`, `loadHistory`).
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub latest: Option<i64>,
    pub oldest: Option<i64>,
    pub inclusive: bool,
    pub offset: i64,
    pub count: i64,
    pub show_thread_messages: bool,
    /// System message types left out (the room's `sysMes`, or `Hide_System_Messages`).
    pub hidden_types: Vec<String>,
}

/// `INSERT` of a new message: its columns, then the derived ones, as `$1`..`$19` in the
/// order [`bind_message`] binds them.
pub(crate) fn insert_sql() -> String {
    format!(
        "INSERT INTO messages ({COLUMNS}, {DERIVED_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    )
}

/// Binds the 19 values of [`insert_sql`]. Placeholders of statements run with it (on SQLite,
/// in one string) can refer to them: `$2` is the room, `$4` the time, `$5` the sender, `$8`
/// `_updatedAt`.
pub(crate) fn bind_message<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    message: &'q Message,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let derived = Derived::of(message);
    query
        .bind(&message.id)
        .bind(&message.rid)
        .bind(&message.msg)
        .bind(message.ts)
        .bind(&message.user.id)
        .bind(&message.user.username)
        .bind(message.user.name.as_deref())
        .bind(message.updated_at)
        .bind(message.t.as_deref())
        .bind(message.tmid.as_deref())
        .bind(message.edited_at)
        .bind(message.edited_by.as_ref().map(json_text))
        .bind(json_text(&message.extra))
        .bind(derived.pinned)
        .bind(derived.tlm)
        .bind(derived.starred_by)
        .bind(derived.mentioned_ids)
        .bind(derived.followers)
        .bind(derived.drid)
}

/// What a new message changes beyond its own row.
pub(crate) struct Effects<'a> {
    /// It becomes the room's last message. Thread replies that are not also shown in the
    /// room do not, and make the thread unread for its followers rather than the room for
    /// its members.
    pub shown_in_room: bool,
    /// The room becomes unread for the other members (not for system messages).
    pub unread: bool,
    /// `@all` / `@here`.
    pub group_mention: bool,
    /// Members mentioned by name, each once.
    pub mentioned: Vec<&'a str>,
}

impl<'a> Effects<'a> {
    pub(crate) fn of(message: &Message, delivery: &'a Delivery) -> Self {
        let shown_in_room = message.tmid.is_none()
            || message.extra.get("tshow").and_then(|v| v.as_bool()) == Some(true);
        let mut mentioned: Vec<&str> = Vec::new();
        for id in &delivery.mentioned_user_ids {
            if !mentioned.contains(&id.as_str()) {
                mentioned.push(id);
            }
        }
        Effects {
            shown_in_room,
            unread: message.t.is_none() && shown_in_room,
            group_mention: delivery.group_mention,
            mentioned,
        }
    }
}

/// Where the values of the `rooms` and `subscriptions` updates of a new message sit among
/// the bound values (the numbers of their `$n`).
pub(crate) struct Slots {
    pub rid: usize,
    pub ts: usize,
    pub last_message: usize,
    pub updated: usize,
    pub sender: usize,
    pub yes: usize,
    /// The first mentioned member; the others follow.
    pub mentioned: usize,
}

/// PostgreSQL runs each statement on its own: each binds its values from `$1`.
const ROOM_SLOTS: Slots = Slots {
    rid: 1,
    ts: 2,
    last_message: 3,
    updated: 4,
    sender: 0,
    yes: 0,
    mentioned: 0,
};
const ROOM_SLOTS_NOT_SHOWN: Slots = Slots {
    rid: 1,
    updated: 2,
    ..ROOM_SLOTS
};
const UNREAD_SLOTS: Slots = Slots {
    rid: 1,
    sender: 2,
    yes: 3,
    updated: 4,
    mentioned: 5,
    ts: 0,
    last_message: 0,
};

/// The room counts a new message and, when it shows there, holds it as its last one.
pub(crate) fn room_update_sql(shown_in_room: bool, s: &Slots) -> String {
    if shown_in_room {
        format!(
            "UPDATE rooms SET msgs = msgs + 1, lm = ${}, last_message = ${}, updated_at = ${} WHERE id = ${}",
            s.ts, s.last_message, s.updated, s.rid
        )
    } else {
        format!(
            "UPDATE rooms SET msgs = msgs + 1, updated_at = ${} WHERE id = ${}",
            s.updated, s.rid
        )
    }
}

/// The other members' memberships count a new message as unread, and its mentions: one
/// statement for the unread counter, `@all` / `@here` and the members mentioned by name
/// (who are counted once each however often they are named, as Rocket.Chat's `$in` does).
pub(crate) fn unread_update_sql(effects: &Effects<'_>, s: &Slots) -> String {
    let mut sql = format!(
        "UPDATE subscriptions SET unread = unread + 1, alert = ${yes}, open = ${yes}, updated_at = ${}",
        s.updated,
        yes = s.yes
    );
    if effects.group_mention {
        sql.push_str(", group_mentions = group_mentions + 1");
    }
    if !effects.mentioned.is_empty() {
        let ids: Vec<String> = (0..effects.mentioned.len())
            .map(|i| format!("${}", s.mentioned + i))
            .collect();
        sql.push_str(&format!(
            ", user_mentions = user_mentions + CASE WHEN user_id IN ({}) THEN 1 ELSE 0 END",
            ids.join(", ")
        ));
    }
    sql.push_str(&format!(
        " WHERE rid = ${} AND user_id <> ${}",
        s.rid, s.sender
    ));
    sql
}

impl Store {
    /// Inserts a message and, in the same transaction, updates the room (`msgs`, `lm`,
    /// `lastMessage`) and the other members' subscriptions (`unread`, `alert`, `open`,
    /// mentions). System messages (`t` set) do not make rooms unread.
    ///
    /// On SQLite the message joins the group commit of [`crate::group_commit`]: it is
    /// written, with the messages that arrived meanwhile, in one transaction with one
    /// `fsync`, and this returns once that transaction is durable. On PostgreSQL it is a
    /// transaction of its own (many connections write at once there).
    ///
    /// Fails with [`StoreError::Duplicate`] when the id is already taken, including by a
    /// message that was deleted since.
    pub async fn insert_message(&self, message: &Message, delivery: &Delivery) -> Result<()> {
        if let Some(posts) = &self.posts {
            return posts.insert(message, delivery).await;
        }
        let mut tx = self.write.begin().await?;
        if !Self::trashed_message_ids(&mut tx, &[&message.id])
            .await?
            .is_empty()
        {
            return Err(StoreError::Duplicate("messages_pkey".into()));
        }
        let sql = insert_sql();
        bind_message(sqlx::query(&sql), message)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        // The room row first, as every message into the room locks it first: a thread
        // reply that locked a follower's membership before the room deadlocked with a
        // message that held the room and wanted that membership.
        let effects = Effects::of(message, delivery);
        if effects.shown_in_room {
            sqlx::query(&room_update_sql(true, &ROOM_SLOTS))
                .bind(&message.rid)
                .bind(message.ts)
                .bind(json_text(message))
                .bind(message.updated_at)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(&room_update_sql(false, &ROOM_SLOTS_NOT_SHOWN))
                .bind(&message.rid)
                .bind(message.updated_at)
                .execute(&mut *tx)
                .await?;
        }
        if effects.unread {
            let sql = unread_update_sql(&effects, &UNREAD_SLOTS);
            let mut query = sqlx::query(&sql)
                .bind(&message.rid)
                .bind(&message.user.id)
                .bind(true)
                .bind(message.updated_at);
            for user_id in &effects.mentioned {
                query = query.bind(*user_id);
            }
            query.execute(&mut *tx).await?;
        }
        self.count_in_thread_and_discussion(&mut tx, message, delivery)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ids among `ids` that deleted messages used (ids are never reused): one read
    /// however many.
    pub(crate) async fn trashed_message_ids(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        ids: &[&str],
    ) -> Result<HashSet<String>> {
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id FROM trash WHERE collection = 'messages' AND id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&mut **tx).await?.into_iter().collect())
    }

    /// Whether [`Self::count_in_thread_and_discussion`] has anything to do for the message.
    pub(crate) fn counts_in_thread_or_discussion(message: &Message, delivery: &Delivery) -> bool {
        message.tmid.is_some() || (delivery.in_discussion && message.t.is_none())
    }

    /// The effects of a new message that need reading other rows first: the thread it
    /// replies to counts it, and so do the messages announcing the discussion it is in.
    pub(crate) async fn count_in_thread_and_discussion(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        message: &Message,
        delivery: &Delivery,
    ) -> Result<()> {
        if let Some(tmid) = &message.tmid {
            self.count_thread_reply(tx, tmid, message, delivery).await?;
        }
        if delivery.in_discussion && message.t.is_none() {
            self.count_discussion_message(tx, message).await?;
        }
        Ok(())
    }

    pub async fn message_by_id(&self, id: &str) -> Result<Option<Message>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM messages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Whether a message id was ever used (present or deleted).
    pub async fn message_id_used(&self, id: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS x FROM messages WHERE id = $1 UNION ALL \
             SELECT 1 AS x FROM trash WHERE collection = 'messages' AND id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.is_some())
    }

    /// Rewrites an edited message (text, `editedAt`, `editedBy`, extra fields) and keeps the
    /// room's `lastMessage` in step.
    pub async fn update_message(&self, message: &Message) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = Self::rewrite(&mut tx, message).await?;
        Self::sync_room_copy(&mut tx, message).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Writes a message's mutable fields and the columns derived from them.
    pub(crate) async fn rewrite(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        message: &Message,
    ) -> Result<bool> {
        let derived = Derived::of(message);
        let done = sqlx::query(
            "UPDATE messages SET msg = $2, updated_at = $3, edited_at = $4, edited_by = $5, extra = $6, t = $7, \
             pinned = $8, tlm = $9, starred_by = $10, mentioned_ids = $11, followers = $12, drid = $13 \
             WHERE id = $1",
        )
        .bind(&message.id)
        .bind(&message.msg)
        .bind(message.updated_at)
        .bind(message.edited_at)
        .bind(message.edited_by.as_ref().map(json_text))
        .bind(json_text(&message.extra))
        .bind(message.t.as_deref())
        .bind(derived.pinned)
        .bind(derived.tlm)
        .bind(derived.starred_by)
        .bind(derived.mentioned_ids)
        .bind(derived.followers)
        .bind(derived.drid)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The room's copy of its last message follows changes to that message.
    pub(crate) async fn sync_room_copy(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        message: &Message,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE rooms SET last_message = $1, updated_at = $2 WHERE id = $3 AND lm = $4 \
             AND last_message IS NOT NULL",
        )
        .bind(json_text(message))
        .bind(message.updated_at)
        .bind(&message.rid)
        .bind(message.ts)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Deletes a message into the trash and repairs the room's counters and last message.
    /// With `keep`, the message is first saved into its history (`Message_KeepHistory`). A
    /// thread reply is uncounted from its parent.
    pub async fn delete_message(
        &self,
        message: &Message,
        now: i64,
        keep: Option<&VersionAuthor<'_>>,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM messages WHERE id = $1")
            .bind(&message.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(author) = keep {
            Self::save_version(&mut tx, message, author).await?;
        }
        if let Some(tmid) = &message.tmid {
            self.uncount_thread_reply(&mut tx, tmid, now).await?;
        }
        Self::trash_message(&mut tx, message, now).await?;
        let last = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM messages WHERE rid = $1 AND (tmid IS NULL) ORDER BY ts DESC LIMIT 1"
        ))
        .bind(&message.rid)
        .fetch_optional(&mut *tx)
        .await?;
        let last = last.as_ref().map(from_row).transpose()?;
        sqlx::query(
            "UPDATE rooms SET msgs = CASE WHEN msgs > 0 THEN msgs - 1 ELSE 0 END, lm = $2, last_message = $3, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(&message.rid)
        .bind(last.as_ref().map(|m| m.ts))
        .bind(last.as_ref().map(json_text))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a deleted message for `updatedSince` sync: its room, author, and where it sat
    /// (`tmid` for a reply, `thread` for a thread's parent).
    pub(crate) async fn trash_message(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        message: &Message,
        now: i64,
    ) -> Result<()> {
        let mut doc = serde_json::Map::new();
        if let Some(tmid) = &message.tmid {
            doc.insert("tmid".into(), tmid.clone().into());
        }
        if message.extra.contains_key("tlm") {
            doc.insert("thread".into(), true.into());
        }
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) VALUES ($1, 'messages', $2, $3, $4, $5) \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at, doc = excluded.doc",
        )
        .bind(&message.id)
        .bind(&message.rid)
        .bind(&message.user.id)
        .bind(now)
        .bind(json_text(&doc))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A window of history, newest first.
    pub async fn room_history(&self, rid: &str, q: &HistoryQuery) -> Result<Vec<Message>> {
        let mut sql = format!("SELECT {COLUMNS} FROM messages WHERE rid = $1");
        let (lt, gt) = if q.inclusive {
            ("<=", ">=")
        } else {
            ("<", ">")
        };
        sql.push_str(&format!(" AND ts {lt} $2 AND ts {gt} $3"));
        if !q.show_thread_messages {
            sql.push_str(" AND (tmid IS NULL OR extra LIKE '%\"tshow\":true%')");
        }
        if !q.hidden_types.is_empty() {
            let params: Vec<String> = (0..q.hidden_types.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            sql.push_str(&format!(
                " AND (t IS NULL OR t NOT IN ({}))",
                params.join(", ")
            ));
        }
        sql.push_str(&format!(
            " ORDER BY ts DESC LIMIT {} OFFSET {}",
            q.count.max(0),
            q.offset.max(0)
        ));
        let mut query = sqlx::query(&sql)
            .bind(rid)
            .bind(q.latest.unwrap_or(i64::MAX))
            .bind(q.oldest.unwrap_or(i64::MIN));
        for t in &q.hidden_types {
            query = query.bind(t);
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Messages of a room matching a filter, a page of them, and the total.
    pub async fn room_messages(
        &self,
        rid: &str,
        filter: &Filter,
        sort: &Sort,
        page: Page,
    ) -> Result<(Vec<Message>, i64)> {
        let filter = filter.clone().eq_text("rid", rid);
        let (where_sql, binds) = filter.to_sql(self.dialect, 1);
        let sql = format!(
            "SELECT {COLUMNS} FROM messages{where_sql}{}{}",
            sort.sql("ts DESC"),
            page.sql(self.dialect)
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = get(
            &bind_all(
                sqlx::query(&format!("SELECT COUNT(*) AS n FROM messages{where_sql}")),
                &binds,
            )
            .fetch_one(&self.read)
            .await?,
            "n",
        )?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// How many messages of others arrived in a room after a time (unread counters).
    pub async fn count_messages_after(
        &self,
        rid: &str,
        after: i64,
        except_user: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM messages WHERE rid = $1 AND ts > $2 AND user_id <> $3 AND t IS NULL",
        )
        .bind(rid)
        .bind(after)
        .bind(except_user)
        .fetch_one(&self.read)
        .await?;
        get(&row, "n")
    }

    /// Messages deleted from a room since a time (`chat.getDeletedMessages`).
    pub async fn deleted_message_ids(
        &self,
        rid: &str,
        since: i64,
        page: Page,
    ) -> Result<(Vec<(String, i64)>, i64)> {
        let rows = sqlx::query(&format!(
            "SELECT id, deleted_at FROM trash WHERE collection = 'messages' AND rid = $1 AND deleted_at > $2 \
             ORDER BY deleted_at{}",
            page.sql(self.dialect)
        ))
        .bind(rid)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        let total: i64 = get(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM trash WHERE collection = 'messages' AND rid = $1 AND deleted_at > $2",
            )
            .bind(rid)
            .bind(since)
            .fetch_one(&self.read)
            .await?,
            "n",
        )?;
        let ids = rows
            .iter()
            .map(|row| Ok((get(row, "id")?, get(row, "deleted_at")?)))
            .collect::<Result<_>>()?;
        Ok((ids, total))
    }
}
