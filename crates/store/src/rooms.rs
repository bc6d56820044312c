//! Rooms: channels (`c`), private groups (`p`) and direct messages (`d`).

use ferrochat_model::{Message, Room, RoomType, Subscription, UserRef};
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::filter::{FieldKind, FieldMap, bind_all};
use crate::rows::{get, get_bool, json_text, opt_value, string_list};
use crate::{Filter, Page, Result, Sort, Store, StoreError, classify};

pub(crate) const COLUMNS: &str = "id, t, name, fname, creator_id, creator_username, ts, updated_at, \
    msgs, users_count, lm, last_message, read_only, is_default, featured, broadcast, encrypted, \
    archived, topic, description, purpose, announcement, join_code, custom_fields, uids, \
    usernames, muted, sys_mes, prid";

/// Fields of `channels.list?query=` and `sort=`.
pub const FIELDS: FieldMap = &[
    ("_id", "id", FieldKind::Text),
    ("name", "name", FieldKind::Text),
    ("fname", "fname", FieldKind::Text),
    ("t", "t", FieldKind::Text),
    ("msgs", "msgs", FieldKind::Int),
    ("usersCount", "users_count", FieldKind::Int),
    ("ts", "ts", FieldKind::Date),
    ("lm", "lm", FieldKind::Date),
    ("_updatedAt", "updated_at", FieldKind::Date),
    ("ro", "read_only", FieldKind::Bool),
    ("default", "is_default", FieldKind::Bool),
    ("featured", "featured", FieldKind::Bool),
    ("archived", "archived", FieldKind::Bool),
    ("topic", "topic", FieldKind::Text),
    ("u._id", "creator_id", FieldKind::Text),
    ("u.username", "creator_username", FieldKind::Text),
    ("usernames", "usernames", FieldKind::TextList),
    ("uids", "uids", FieldKind::TextList),
];

pub(crate) fn from_row(row: &AnyRow) -> Result<Room> {
    let t: String = get(row, "t")?;
    let creator_id: Option<String> = get(row, "creator_id")?;
    let creator_username: Option<String> = get(row, "creator_username")?;
    let last_message: Option<String> = get(row, "last_message")?;
    Ok(Room {
        id: get(row, "id")?,
        t: RoomType::from_code(&t).ok_or_else(|| StoreError::Corrupt(format!("room type {t}")))?,
        name: get(row, "name")?,
        fname: get(row, "fname")?,
        creator: creator_id
            .zip(creator_username)
            .map(|(id, username)| UserRef {
                id,
                username,
                name: None,
            }),
        ts: get(row, "ts")?,
        updated_at: get(row, "updated_at")?,
        msgs: get(row, "msgs")?,
        users_count: get(row, "users_count")?,
        lm: get(row, "lm")?,
        last_message: last_message
            .map(|text| serde_json::from_str::<Message>(&text).map(Box::new))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("last message: {e}")))?,
        read_only: get_bool(row, "read_only")?,
        is_default: get_bool(row, "is_default")?,
        featured: get_bool(row, "featured")?,
        broadcast: get_bool(row, "broadcast")?,
        encrypted: get_bool(row, "encrypted")?,
        archived: get_bool(row, "archived")?,
        topic: get(row, "topic")?,
        description: get(row, "description")?,
        purpose: get(row, "purpose")?,
        announcement: get(row, "announcement")?,
        join_code: get(row, "join_code")?,
        custom_fields: opt_value(get(row, "custom_fields")?)?,
        uids: string_list(&get::<String>(row, "uids")?)?,
        usernames: string_list(&get::<String>(row, "usernames")?)?,
        muted: string_list(&get::<String>(row, "muted")?)?,
        sys_mes: opt_value(get(row, "sys_mes")?)?,
        prid: get(row, "prid")?,
    })
}

/// A partial update of a room's settings. Counters (`msgs`, `usersCount`, `lm`) are never
/// written through this; they change atomically with the messages and memberships.
#[derive(Debug, Clone, Default)]
pub struct RoomPatch {
    pub t: Option<RoomType>,
    pub name: Option<String>,
    pub fname: Option<String>,
    pub topic: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub purpose: Option<Option<String>>,
    pub announcement: Option<Option<String>>,
    pub read_only: Option<bool>,
    pub is_default: Option<bool>,
    pub featured: Option<bool>,
    pub archived: Option<bool>,
    pub broadcast: Option<bool>,
    pub encrypted: Option<bool>,
    pub join_code: Option<Option<String>>,
    pub custom_fields: Option<Value>,
    pub muted: Option<Vec<String>>,
    pub sys_mes: Option<Value>,
}

enum Arg {
    Text(Option<String>),
    Bool(bool),
}

impl Store {
    /// Creates a room with its first members and any system messages in one transaction.
    pub async fn create_room(&self, room: &Room, members: &[Subscription]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        insert_room(&mut tx, room).await?;
        for sub in members {
            crate::subscriptions::insert(&mut tx, sub).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn room_by_id(&self, id: &str) -> Result<Option<Room>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rooms WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A room and whether `user_id` is one of its members, in one read: access checks need
    /// both, and a reconnecting client asks for dozens of rooms at once.
    pub async fn room_with_membership(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<(Room, bool)>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, EXISTS (SELECT 1 FROM subscriptions s \
             WHERE s.rid = rooms.id AND s.user_id = $2) AS is_member FROM rooms WHERE id = $1"
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref()
            .map(|row| Ok((from_row(row)?, get_bool(row, "is_member")?)))
            .transpose()
    }

    /// A channel or group by name, ignoring case.
    pub async fn room_by_name(&self, name: &str) -> Result<Option<Room>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM rooms WHERE lower(name) = lower($1) AND t IN ('c', 'p')"
        ))
        .bind(name)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn rooms_by_ids(&self, ids: &[String]) -> Result<Vec<Room>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM rooms WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.as_str());
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Rooms matching a filter (plus the given types), a page of them and the total.
    pub async fn list_rooms(
        &self,
        types: &[RoomType],
        filter: &Filter,
        sort: &Sort,
        page: Page,
    ) -> Result<(Vec<Room>, i64)> {
        let (where_sql, binds) = filter.to_sql(self.dialect, 1);
        let type_list: Vec<String> = types.iter().map(|t| format!("'{}'", t.code())).collect();
        let type_sql = format!("t IN ({})", type_list.join(", "));
        let where_sql = if where_sql.is_empty() {
            format!(" WHERE {type_sql}")
        } else {
            format!("{where_sql} AND {type_sql}")
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM rooms{where_sql}{}{}",
            sort.sql("id ASC"),
            page.sql(self.dialect)
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = get(
            &bind_all(
                sqlx::query(&format!("SELECT COUNT(*) AS n FROM rooms{where_sql}")),
                &binds,
            )
            .fetch_one(&self.read)
            .await?,
            "n",
        )?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Rooms the user is a member of, of the given types, optionally filtered and paged.
    pub async fn rooms_of_user(
        &self,
        user_id: &str,
        types: &[RoomType],
        filter: &Filter,
        sort: &Sort,
        page: Page,
    ) -> Result<(Vec<Room>, i64)> {
        let (where_sql, binds) = filter.to_sql(self.dialect, 2);
        let type_list: Vec<String> = types.iter().map(|t| format!("'{}'", t.code())).collect();
        let membership = format!(
            "t IN ({}) AND id IN (SELECT rid FROM subscriptions WHERE user_id = $1)",
            type_list.join(", ")
        );
        let where_sql = if where_sql.is_empty() {
            format!(" WHERE {membership}")
        } else {
            format!("{where_sql} AND {membership}")
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM rooms{where_sql}{}{}",
            sort.sql("id ASC"),
            page.sql(self.dialect)
        );
        let rows = bind_all(sqlx::query(&sql).bind(user_id), &binds)
            .fetch_all(&self.read)
            .await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM rooms{where_sql}");
        let total: i64 = get(
            &bind_all(sqlx::query(&count_sql).bind(user_id), &binds)
                .fetch_one(&self.read)
                .await?,
            "n",
        )?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Rooms the user belongs to that changed after `since` (all of them without `since`).
    pub async fn rooms_updated_for_user(
        &self,
        user_id: &str,
        since: Option<i64>,
    ) -> Result<Vec<Room>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rooms WHERE id IN (SELECT rid FROM subscriptions WHERE user_id = $1) \
             AND updated_at > $2 ORDER BY updated_at"
        );
        sqlx::query(&sql)
            .bind(user_id)
            .bind(since.unwrap_or(i64::MIN))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Rooms flagged `default`, which new users join.
    pub async fn default_rooms(&self) -> Result<Vec<Room>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM rooms WHERE is_default = $1 AND t IN ('c', 'p') ORDER BY ts"
        ))
        .bind(true)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Applies a patch; returns false when the room does not exist. A rename also renames
    /// the members' subscriptions.
    pub async fn update_room(&self, id: &str, patch: &RoomPatch, now: i64) -> Result<bool> {
        let mut sets: Vec<(&str, Arg)> = Vec::new();
        if let Some(t) = patch.t {
            sets.push(("t", Arg::Text(Some(t.code().to_owned()))));
        }
        if let Some(name) = &patch.name {
            sets.push(("name", Arg::Text(Some(name.clone()))));
        }
        if let Some(fname) = &patch.fname {
            sets.push(("fname", Arg::Text(Some(fname.clone()))));
        }
        for (column, value) in [
            ("topic", &patch.topic),
            ("description", &patch.description),
            ("purpose", &patch.purpose),
            ("announcement", &patch.announcement),
            ("join_code", &patch.join_code),
        ] {
            if let Some(value) = value {
                sets.push((column, Arg::Text(value.clone())));
            }
        }
        for (column, value) in [
            ("read_only", patch.read_only),
            ("is_default", patch.is_default),
            ("featured", patch.featured),
            ("archived", patch.archived),
            ("broadcast", patch.broadcast),
            ("encrypted", patch.encrypted),
        ] {
            if let Some(value) = value {
                sets.push((column, Arg::Bool(value)));
            }
        }
        if let Some(fields) = &patch.custom_fields {
            sets.push(("custom_fields", Arg::Text(Some(json_text(fields)))));
        }
        if let Some(muted) = &patch.muted {
            sets.push(("muted", Arg::Text(Some(json_text(muted)))));
        }
        if let Some(sys_mes) = &patch.sys_mes {
            sets.push(("sys_mes", Arg::Text(Some(json_text(sys_mes)))));
        }
        let mut sql = String::from("UPDATE rooms SET updated_at = $2");
        for (i, (column, _)) in sets.iter().enumerate() {
            sql.push_str(&format!(", {column} = ${}", i + 3));
        }
        sql.push_str(" WHERE id = $1");
        let mut tx = self.write.begin().await?;
        let mut query = sqlx::query(&sql).bind(id).bind(now);
        for (_, arg) in &sets {
            query = match arg {
                Arg::Text(text) => query.bind(text.clone()),
                Arg::Bool(flag) => query.bind(*flag),
            };
        }
        let done = query.execute(&mut *tx).await.map_err(classify)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if patch.name.is_some()
            || patch.fname.is_some()
            || patch.t.is_some()
            || patch.archived.is_some()
        {
            sqlx::query(
                "UPDATE subscriptions SET name = r.name, fname = r.fname, t = r.t, archived = r.archived, \
                 updated_at = $2 FROM (SELECT name, fname, t, archived FROM rooms WHERE id = $1) AS r \
                 WHERE subscriptions.rid = $1",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a room with its messages and memberships, recording the removals in the trash
    /// so that syncing clients learn of them.
    pub async fn delete_room(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) \
             SELECT id, 'subscriptions', rid, user_id, $2, '{}' FROM subscriptions WHERE rid = $1 \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM rooms WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

pub(crate) async fn insert_room(conn: &mut sqlx::AnyConnection, room: &Room) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO rooms ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)"
    ))
    .bind(&room.id)
    .bind(room.t.code())
    .bind(room.name.as_deref())
    .bind(room.fname.as_deref())
    .bind(room.creator.as_ref().map(|u| u.id.clone()))
    .bind(room.creator.as_ref().map(|u| u.username.clone()))
    .bind(room.ts)
    .bind(room.updated_at)
    .bind(room.msgs)
    .bind(room.users_count)
    .bind(room.lm)
    .bind(room.last_message.as_ref().map(|m| json_text(m.as_ref())))
    .bind(room.read_only)
    .bind(room.is_default)
    .bind(room.featured)
    .bind(room.broadcast)
    .bind(room.encrypted)
    .bind(room.archived)
    .bind(room.topic.as_deref())
    .bind(room.description.as_deref())
    .bind(room.purpose.as_deref())
    .bind(room.announcement.as_deref())
    .bind(room.join_code.as_deref())
    .bind(room.custom_fields.as_ref().map(json_text))
    .bind(json_text(&room.uids))
    .bind(json_text(&room.usernames))
    .bind(json_text(&room.muted))
    .bind(room.sys_mes.as_ref().map(json_text))
    .bind(room.prid.as_deref())
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    Ok(())
}

impl Store {
    /// The direct-message room whose members are exactly `uids` (in any order), if there is
    /// one (`findOneDirectRoomContainingAllUserIDs`). Rooms store their `uids` sorted, so the
    /// sorted list's JSON text identifies the room.
    pub async fn direct_room_by_uids(&self, uids: &[String]) -> Result<Option<Room>> {
        let mut sorted = uids.to_vec();
        sorted.sort();
        sorted.dedup();
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM rooms WHERE t = 'd' AND uids = $1 ORDER BY ts LIMIT 1"
        ))
        .bind(json_text(&sorted))
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }
}
