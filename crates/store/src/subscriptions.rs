//! Subscriptions: one per (user, room) membership, carrying read state and per-member
//! preferences.

use ferrochat_model::{RoomType, Subscription, User, UserRef};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;

use crate::rows::{get, get_bool, json_text, object, string_list};
use crate::{Page, Result, Store, StoreError, classify};

pub(crate) const COLUMNS: &str = "id, rid, user_id, username, user_name, t, name, fname, ts, ls, lr, \
    updated_at, open, alert, unread, user_mentions, group_mentions, roles, favorite, archived, extra";

pub(crate) fn from_row(row: &AnyRow) -> Result<Subscription> {
    let t: String = get(row, "t")?;
    Ok(Subscription {
        id: get(row, "id")?,
        rid: get(row, "rid")?,
        user: UserRef {
            id: get(row, "user_id")?,
            username: get(row, "username")?,
            name: get(row, "user_name")?,
        },
        t: RoomType::from_code(&t).ok_or_else(|| StoreError::Corrupt(format!("room type {t}")))?,
        name: get(row, "name")?,
        fname: get(row, "fname")?,
        ts: get(row, "ts")?,
        ls: get(row, "ls")?,
        lr: get(row, "lr")?,
        updated_at: get(row, "updated_at")?,
        open: get_bool(row, "open")?,
        alert: get_bool(row, "alert")?,
        unread: get(row, "unread")?,
        user_mentions: get(row, "user_mentions")?,
        group_mentions: get(row, "group_mentions")?,
        roles: string_list(&get::<String>(row, "roles")?)?,
        favorite: get_bool(row, "favorite")?,
        archived: get_bool(row, "archived")?,
        extra: object(&get::<String>(row, "extra")?)?,
    })
}

pub(crate) async fn insert(conn: &mut sqlx::AnyConnection, sub: &Subscription) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO subscriptions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(&sub.id)
    .bind(&sub.rid)
    .bind(&sub.user.id)
    .bind(&sub.user.username)
    .bind(sub.user.name.as_deref())
    .bind(sub.t.code())
    .bind(&sub.name)
    .bind(sub.fname.as_deref())
    .bind(sub.ts)
    .bind(sub.ls)
    .bind(sub.lr)
    .bind(sub.updated_at)
    .bind(sub.open)
    .bind(sub.alert)
    .bind(sub.unread)
    .bind(sub.user_mentions)
    .bind(sub.group_mentions)
    .bind(json_text(&sub.roles))
    .bind(sub.favorite)
    .bind(sub.archived)
    .bind(json_text(&sub.extra))
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    sqlx::query("UPDATE rooms SET users_count = users_count + 1, updated_at = $2 WHERE id = $1")
        .bind(&sub.rid)
        .bind(sub.updated_at)
        .execute(&mut *conn)
        .await?;
    // A membership that comes back is no longer removed for syncing clients.
    sqlx::query(
        "DELETE FROM trash WHERE collection = 'subscriptions' AND rid = $1 AND user_id = $2",
    )
    .bind(&sub.rid)
    .bind(&sub.user.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A partial update of one membership. Counters are set, not incremented: this is for
/// explicit user actions (open, hide, read, favourite), not for message delivery.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub open: Option<bool>,
    pub alert: Option<bool>,
    pub unread: Option<i64>,
    pub user_mentions: Option<i64>,
    pub group_mentions: Option<i64>,
    pub ls: Option<i64>,
    pub lr: Option<i64>,
    pub favorite: Option<bool>,
    pub roles: Option<Vec<String>>,
    /// Keys merged into the stored preferences (`null` removes a key).
    pub extra: Option<Map<String, Value>>,
}

/// A member as `channels.members` lists them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub roles: Vec<String>,
}

impl Store {
    /// Adds a member to a room (and bumps its member count) unless already there.
    /// Returns false when the membership existed.
    pub async fn add_subscription(&self, sub: &Subscription) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        match insert(&mut tx, sub).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a member (and decrements the member count), noting it in the trash.
    pub async fn remove_subscription(&self, rid: &str, user_id: &str, now: i64) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) \
             SELECT id, 'subscriptions', rid, user_id, $3, '{}' FROM subscriptions \
             WHERE rid = $1 AND user_id = $2 \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(rid)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE rid = $1 AND user_id = $2")
            .bind(rid)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() > 0 {
            sqlx::query(
                "UPDATE rooms SET users_count = users_count - 1, updated_at = $2 \
                 WHERE id = $1 AND users_count > 0",
            )
            .bind(rid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the user is a member of the room, without loading the membership.
    pub async fn is_member(&self, rid: &str, user_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM subscriptions WHERE rid = $1 AND user_id = $2")
            .bind(rid)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    pub async fn subscription(&self, rid: &str, user_id: &str) -> Result<Option<Subscription>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 AND user_id = $2"
        ))
        .bind(rid)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The user's memberships changed after `since` (all without `since`).
    pub async fn subscriptions_of_user(
        &self,
        user_id: &str,
        since: Option<i64>,
    ) -> Result<Vec<Subscription>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE user_id = $1 AND updated_at > $2 ORDER BY ts"
        ))
        .bind(user_id)
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    pub async fn subscriptions_of_room(&self, rid: &str) -> Result<Vec<Subscription>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 ORDER BY ts"
        ))
        .bind(rid)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// The earliest `ls` (last seen) among a room's members, a member who never read counting
    /// as 0: how far every member has read. `None` for a room without members.
    pub async fn min_last_seen_of_room(&self, rid: &str) -> Result<Option<i64>> {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(COALESCE(ls, 0)) FROM subscriptions WHERE rid = $1",
        )
        .bind(rid)
        .fetch_one(&self.read)
        .await
        .map_err(StoreError::from)
    }

    /// The ids of a room's members, in no particular order: a read of the
    /// `(rid, user_id)` index only, for announcing a message to the room.
    pub async fn member_ids_of_room(&self, rid: &str) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT user_id FROM subscriptions WHERE rid = $1")
            .bind(rid)
            .fetch_all(&self.read)
            .await
            .map_err(StoreError::from)
    }

    /// The memberships of these users in a room (those that exist), oldest first.
    pub async fn subscriptions_of_room_members(
        &self,
        rid: &str,
        user_ids: &[String],
    ) -> Result<Vec<Subscription>> {
        // Bound the placeholders per statement (SQLite's limit is far above this).
        const CHUNK: usize = 500;
        let mut subs = Vec::with_capacity(user_ids.len());
        for chunk in user_ids.chunks(CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 AND user_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(rid);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.read).await? {
                subs.push(from_row(&row)?);
            }
        }
        subs.sort_by_key(|s| s.ts);
        Ok(subs)
    }

    /// Memberships of a room whose room roles include `role` (`owner`, `moderator`,
    /// `leader`), oldest first.
    pub async fn subscriptions_with_role(
        &self,
        rid: &str,
        role: &str,
    ) -> Result<Vec<Subscription>> {
        let contains = crate::filter::list_contains(self.dialect, "roles", "$2");
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 AND {contains} ORDER BY ts"
        ))
        .bind(rid)
        .bind(role)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Memberships of a room that carry any room role, oldest first (`channels.roles`).
    pub async fn subscriptions_with_roles(&self, rid: &str) -> Result<Vec<Subscription>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 AND roles <> '[]' ORDER BY ts"
        ))
        .bind(rid)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Members of a room with their room roles, optionally only those whose username or
    /// name contains `filter` and whose status is in `statuses`.
    pub async fn room_members(
        &self,
        rid: &str,
        filter: Option<&str>,
        statuses: &[String],
        page: Page,
    ) -> Result<(Vec<Member>, i64)> {
        let user_columns = crate::users_columns_prefixed("u");
        let find = match self.dialect {
            crate::Dialect::Sqlite => "instr",
            crate::Dialect::Postgres => "strpos",
        };
        let mut where_sql = String::from("s.rid = $1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(filter) = filter.filter(|f| !f.is_empty()) {
            binds.push(filter.to_lowercase());
            where_sql.push_str(&format!(
                " AND ({find}(lower(u.username), $2) > 0 OR {find}(lower(u.name), $2) > 0)"
            ));
        }
        if !statuses.is_empty() {
            let first = binds.len() + 2;
            let ps: Vec<String> = (0..statuses.len())
                .map(|i| format!("${}", first + i))
                .collect();
            binds.extend(statuses.iter().cloned());
            where_sql.push_str(&format!(" AND u.status IN ({})", ps.join(", ")));
        }
        let sql = format!(
            "SELECT {user_columns}, s.roles AS sub_roles FROM subscriptions s JOIN users u ON u.id = s.user_id \
             WHERE {where_sql} ORDER BY u.username{}",
            page.sql(self.dialect)
        );
        let mut query = sqlx::query(&sql).bind(rid);
        for b in &binds {
            query = query.bind(b.as_str());
        }
        let rows = query.fetch_all(&self.read).await?;
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM subscriptions s JOIN users u ON u.id = s.user_id WHERE {where_sql}"
        );
        let mut count = sqlx::query(&count_sql).bind(rid);
        for b in &binds {
            count = count.bind(b.as_str());
        }
        let total: i64 = get(&count.fetch_one(&self.read).await?, "n")?;
        let members = rows
            .iter()
            .map(|row| {
                Ok(Member {
                    user: crate::users::from_row(row)?,
                    roles: string_list(&get::<String>(row, "sub_roles")?)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((members, total))
    }

    /// Applies a patch to one membership; false when there is none.
    pub async fn update_subscription(
        &self,
        rid: &str,
        user_id: &str,
        patch: &SubscriptionPatch,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let Some(row) = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE rid = $1 AND user_id = $2"
        ))
        .bind(rid)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let mut sub = from_row(&row)?;
        if let Some(v) = patch.open {
            sub.open = v;
        }
        if let Some(v) = patch.alert {
            sub.alert = v;
        }
        if let Some(v) = patch.favorite {
            sub.favorite = v;
        }
        if let Some(v) = &patch.roles {
            sub.roles = v.clone();
        }
        if let Some(extra) = &patch.extra {
            for (key, value) in extra {
                if value.is_null() {
                    sub.extra.remove(key);
                } else {
                    sub.extra.insert(key.clone(), value.clone());
                }
            }
        }
        let mut sql = String::from(
            "UPDATE subscriptions SET open = $3, alert = $4, favorite = $5, roles = $6, extra = $7, \
             updated_at = $8",
        );
        let mut numbers: Vec<(&str, i64)> = Vec::new();
        for (column, value) in [
            ("unread", patch.unread),
            ("user_mentions", patch.user_mentions),
            ("group_mentions", patch.group_mentions),
            ("ls", patch.ls),
            ("lr", patch.lr),
        ] {
            if let Some(value) = value {
                numbers.push((column, value));
            }
        }
        for (i, (column, _)) in numbers.iter().enumerate() {
            sql.push_str(&format!(", {column} = ${}", i + 9));
        }
        sql.push_str(" WHERE rid = $1 AND user_id = $2");
        let mut query = sqlx::query(&sql)
            .bind(rid)
            .bind(user_id)
            .bind(sub.open)
            .bind(sub.alert)
            .bind(sub.favorite)
            .bind(json_text(&sub.roles))
            .bind(json_text(&sub.extra))
            .bind(now);
        for (_, value) in &numbers {
            query = query.bind(*value);
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks everything in the room read for the user.
    pub async fn mark_read(&self, rid: &str, user_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET open = $3, alert = $4, unread = 0, user_mentions = 0, \
             group_mentions = 0, ls = $5, lr = $5, updated_at = $5 WHERE rid = $1 AND user_id = $2",
        )
        .bind(rid)
        .bind(user_id)
        .bind(true)
        .bind(false)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks the room unread from a point in time: counts the messages of others since then.
    pub async fn mark_unread_since(
        &self,
        rid: &str,
        user_id: &str,
        since: i64,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET open = $3, alert = $3, ls = $4, updated_at = $5, \
             unread = (SELECT COUNT(*) FROM messages m WHERE m.rid = $1 AND m.ts >= $6 \
                       AND m.user_id <> $2 AND m.t IS NULL) \
             WHERE rid = $1 AND user_id = $2",
        )
        .bind(rid)
        .bind(user_id)
        .bind(true)
        .bind(since - 1)
        .bind(now)
        .bind(since)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ids of the rooms the user lost (left, was removed from, or that were deleted) since a time.
    pub async fn removed_room_ids(&self, user_id: &str, since: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT rid, MAX(deleted_at) AS deleted_at FROM trash WHERE collection = 'subscriptions' \
             AND user_id = $1 AND deleted_at > $2 GROUP BY rid",
        )
        .bind(user_id)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| Ok((get(row, "rid")?, get(row, "deleted_at")?)))
            .collect()
    }

    /// Subscriptions of the user removed since a time: `(subscription id, rid, deleted_at)`.
    pub async fn removed_subscriptions(
        &self,
        user_id: &str,
        since: i64,
    ) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT id, rid, deleted_at FROM trash WHERE collection = 'subscriptions' \
             AND user_id = $1 AND deleted_at > $2 ORDER BY deleted_at",
        )
        .bind(user_id)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "rid")?, get(row, "deleted_at")?)))
            .collect()
    }

    /// Keeps the denormalised user name on memberships and DM names in step with a profile
    /// change.
    pub async fn rename_user_everywhere(
        &self,
        user_id: &str,
        old_username: &str,
        username: &str,
        name: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE subscriptions SET username = $2, user_name = $3, updated_at = $4 WHERE user_id = $1")
            .bind(user_id)
            .bind(username)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // The other side of each DM names the room after this user.
        sqlx::query(
            "UPDATE subscriptions SET name = $3, fname = $4, updated_at = $5 WHERE t = 'd' AND user_id <> $1 \
             AND name = $2 AND rid IN (SELECT rid FROM subscriptions WHERE user_id = $1 AND t = 'd')",
        )
        .bind(user_id)
        .bind(old_username)
        .bind(username)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET username = $2, user_name = $3 WHERE user_id = $1")
            .bind(user_id)
            .bind(username)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
