//! Users: accounts, profiles, presence fields and preferences.

use ferrochat_model::User;
use sqlx::any::AnyRow;

use crate::filter::{Bind, FieldKind, FieldMap, bind_all};
use crate::rows::{get, get_bool, json_text, object, opt_value, string_list};
use crate::{Dialect, Filter, Page, Result, Sort, Store, classify};

pub(crate) const COLUMNS: &str = "id, username, name, email, email_verified, user_type, active, roles, \
    status, status_default, status_connection, status_text, utc_offset, created_at, updated_at, \
    last_login, password_hash, require_password_change, avatar_etag, bio, nickname, language, \
    preferences, custom_fields";

/// Fields of `users.list?query=` and `sort=`.
pub const FIELDS: FieldMap = &[
    ("_id", "id", FieldKind::Text),
    ("username", "username", FieldKind::Text),
    ("name", "name", FieldKind::Text),
    ("emails.address", "email", FieldKind::Text),
    ("type", "user_type", FieldKind::Text),
    ("active", "active", FieldKind::Bool),
    ("roles", "roles", FieldKind::TextList),
    ("status", "status", FieldKind::Text),
    ("statusText", "status_text", FieldKind::Text),
    ("createdAt", "created_at", FieldKind::Date),
    ("_updatedAt", "updated_at", FieldKind::Date),
    ("lastLogin", "last_login", FieldKind::Date),
    ("nickname", "nickname", FieldKind::Text),
];

/// The fields callers without `view-full-other-user-info` may query and sort by: the
/// public profile only, so a filter cannot probe e-mail addresses or roles.
pub const PUBLIC_FIELDS: FieldMap = &[
    ("_id", "id", FieldKind::Text),
    ("username", "username", FieldKind::Text),
    ("name", "name", FieldKind::Text),
    ("type", "user_type", FieldKind::Text),
    ("active", "active", FieldKind::Bool),
    ("status", "status", FieldKind::Text),
    ("statusText", "status_text", FieldKind::Text),
    ("nickname", "nickname", FieldKind::Text),
];

/// What happens to a deleted user's messages (`Message_ErasureType`).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageErasure {
    /// Remove them (into the trash, so syncing clients learn of it).
    Delete,
    /// Re-attribute them to another user (`rocket.cat`), with an `alias`.
    Unlink {
        user_id: String,
        username: String,
        alias: String,
    },
    /// Leave them as they are, under the stored username.
    Keep,
}

/// Whom `users.autocomplete` may propose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserScope<'a> {
    /// Every active user.
    Everyone,
    /// Users sharing a direct-message room with this user.
    DirectContactsOf(&'a str),
    /// Users sharing any room with this user.
    RoomMatesOf(&'a str),
}

fn find_fn(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "instr",
        Dialect::Postgres => "strpos",
    }
}

pub(crate) fn from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        name: get(row, "name")?,
        email: get(row, "email")?,
        email_verified: get_bool(row, "email_verified")?,
        user_type: get(row, "user_type")?,
        active: get_bool(row, "active")?,
        roles: string_list(&get::<String>(row, "roles")?)?,
        status: get(row, "status")?,
        status_default: get(row, "status_default")?,
        status_connection: get(row, "status_connection")?,
        status_text: get(row, "status_text")?,
        utc_offset: get(row, "utc_offset")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        last_login: get(row, "last_login")?,
        password_hash: get(row, "password_hash")?,
        require_password_change: get_bool(row, "require_password_change")?,
        avatar_etag: get(row, "avatar_etag")?,
        bio: get(row, "bio")?,
        nickname: get(row, "nickname")?,
        language: get(row, "language")?,
        preferences: object(&get::<String>(row, "preferences")?)?,
        custom_fields: opt_value(get(row, "custom_fields")?)?,
    })
}

impl Store {
    pub async fn insert_user(&self, user: &User) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO users ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        ))
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.name)
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(&user.user_type)
        .bind(user.active)
        .bind(json_text(&user.roles))
        .bind(&user.status)
        .bind(&user.status_default)
        .bind(&user.status_connection)
        .bind(&user.status_text)
        .bind(user.utc_offset)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(user.last_login)
        .bind(user.password_hash.as_deref())
        .bind(user.require_password_change)
        .bind(user.avatar_etag.as_deref())
        .bind(user.bio.as_deref())
        .bind(user.nickname.as_deref())
        .bind(user.language.as_deref())
        .bind(json_text(&user.preferences))
        .bind(user.custom_fields.as_ref().map(json_text))
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// Writes every field of the user back (the caller loaded it and changed some), except
    /// the presence columns `status` and `status_connection`: the presence tracker owns
    /// those and writes them with [`Store::set_user_presence`], so that a profile edit made
    /// from a stale copy cannot undo a status change that happened meanwhile.
    pub async fn update_user(&self, user: &User) -> Result<()> {
        sqlx::query(
            "UPDATE users SET username = $2, name = $3, email = $4, email_verified = $5, \
             user_type = $6, active = $7, roles = $8, status_default = $9, \
             status_text = $10, utc_offset = $11, updated_at = $12, \
             last_login = $13, password_hash = $14, require_password_change = $15, \
             avatar_etag = $16, bio = $17, nickname = $18, language = $19, preferences = $20, \
             custom_fields = $21 WHERE id = $1",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.name)
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(&user.user_type)
        .bind(user.active)
        .bind(json_text(&user.roles))
        .bind(&user.status_default)
        .bind(&user.status_text)
        .bind(user.utc_offset)
        .bind(user.updated_at)
        .bind(user.last_login)
        .bind(user.password_hash.as_deref())
        .bind(user.require_password_change)
        .bind(user.avatar_etag.as_deref())
        .bind(user.bio.as_deref())
        .bind(user.nickname.as_deref())
        .bind(user.language.as_deref())
        .bind(json_text(&user.preferences))
        .bind(user.custom_fields.as_ref().map(json_text))
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// Sets the presence columns when they differ from the stored ones; true when the row
    /// changed (`updateStatusById`).
    pub async fn set_user_presence(
        &self,
        id: &str,
        status: &str,
        status_connection: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET status = $2, status_connection = $3, updated_at = $4 \
             WHERE id = $1 AND (status <> $2 OR status_connection <> $3)",
        )
        .bind(id)
        .bind(status)
        .bind(status_connection)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets the status the user chose (`statusDefault`) and/or the status text, leaving the
    /// other columns alone; true when the row changed.
    pub async fn set_user_status_choice(
        &self,
        id: &str,
        status_default: Option<&str>,
        status_text: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET status_default = COALESCE($2, status_default), \
             status_text = COALESCE($3, status_text), updated_at = $4 \
             WHERE id = $1 AND (status_default <> COALESCE($2, status_default) \
             OR status_text <> COALESCE($3, status_text))",
        )
        .bind(id)
        .bind(status_default)
        .bind(status_text)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Case-insensitive, as usernames are unique regardless of case.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1)"
        ))
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn users_by_ids(&self, ids: &[String]) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE id IN ({})",
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

    /// Users matching a filter, a page of them, and how many match in all.
    pub async fn list_users(
        &self,
        filter: &Filter,
        sort: &Sort,
        page: Page,
    ) -> Result<(Vec<User>, i64)> {
        let (where_sql, binds) = filter.to_sql(self.dialect, 1);
        let sql = format!(
            "SELECT {COLUMNS} FROM users{where_sql}{}{}",
            sort.sql("username ASC"),
            page.sql(self.dialect)
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.read)
            .await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM users{where_sql}");
        let total: i64 = get(
            &bind_all(sqlx::query(&count_sql), &binds)
                .fetch_one(&self.read)
                .await?,
            "n",
        )?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Active users whose username or name starts with (or contains) `term`, for mention
    /// and DM pickers.
    pub async fn autocomplete_users(
        &self,
        term: &str,
        exceptions: &[String],
        limit: i64,
    ) -> Result<Vec<User>> {
        let needle = term.to_lowercase();
        let find = match self.dialect {
            crate::Dialect::Sqlite => "instr",
            crate::Dialect::Postgres => "strpos",
        };
        let mut sql = format!(
            "SELECT {COLUMNS} FROM users WHERE active = $1 AND user_type <> 'app' AND \
             ({find}(lower(username), $2) > 0 OR {find}(lower(name), $2) > 0)"
        );
        for i in 0..exceptions.len() {
            sql.push_str(&format!(" AND lower(username) <> lower(${})", i + 3));
        }
        sql.push_str(&format!(
            " ORDER BY CASE WHEN substr(lower(username), 1, length($2)) = $2 THEN 0 ELSE 1 END, \
             username LIMIT {}",
            limit.clamp(1, 100)
        ));
        let mut query = sqlx::query(&sql).bind(true).bind(needle.as_str());
        for exception in exceptions {
            query = query.bind(exception.as_str());
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE user_type = 'user'")
            .fetch_one(&self.read)
            .await?;
        get(&row, "n")
    }

    /// Deletes the user, their memberships and tokens. Their messages stay, attributed to
    /// the stored username, as in Rocket.Chat.
    pub async fn delete_user(&self, id: &str, now: i64) -> Result<bool> {
        self.delete_user_erasing(id, &MessageErasure::Keep, now)
            .await
    }

    /// Users holding a global role.
    pub async fn users_in_role(&self, role: &str, page: Page) -> Result<(Vec<User>, i64)> {
        let contains = crate::filter::list_contains(self.dialect, "roles", "$1");
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE {contains} ORDER BY username{}",
            page.sql(self.dialect)
        );
        let rows = sqlx::query(&sql).bind(role).fetch_all(&self.read).await?;
        let total: i64 = get(
            &sqlx::query(&format!("SELECT COUNT(*) AS n FROM users WHERE {contains}"))
                .bind(role)
                .fetch_one(&self.read)
                .await?,
            "n",
        )?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Users whose status is not `offline` (`findUsersNotOffline`), optionally only among
    /// `ids`.
    pub async fn users_not_offline(&self, ids: Option<&[String]>) -> Result<Vec<User>> {
        let mut sql =
            format!("SELECT {COLUMNS} FROM users WHERE status IN ('online', 'away', 'busy')");
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(" AND id IN ({})", placeholders.join(", ")));
        }
        sql.push_str(" ORDER BY username");
        let mut query = sqlx::query(&sql);
        for id in ids.unwrap_or_default() {
            query = query.bind(id.as_str());
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The ids of users whose stored connection status is not `offline`: those some node
    /// last saw connected (what a presence reconciliation checks).
    pub async fn users_marked_connected(&self) -> Result<Vec<String>> {
        sqlx::query("SELECT id FROM users WHERE status_connection <> 'offline' ORDER BY id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|row| get(row, "id"))
            .collect()
    }

    /// Users other than `except` changed at or after `since` (`findNotIdUpdatedFrom`).
    pub async fn users_updated_since(&self, except: &str, since: i64) -> Result<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE id <> $1 AND updated_at >= $2 ORDER BY username"
        ))
        .bind(except)
        .bind(since)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Active users (apps excluded) whose username or name contains `term`
    /// (case-insensitively), who match `filter`, are not named in `exceptions` and are in
    /// `scope`; ordered by username.
    pub async fn find_users_for_autocomplete(
        &self,
        term: &str,
        exceptions: &[String],
        filter: &Filter,
        scope: UserScope<'_>,
        limit: i64,
    ) -> Result<Vec<User>> {
        let (where_sql, mut binds) = filter.to_sql(self.dialect, 1);
        let mut conds: Vec<String> = Vec::new();
        if let Some(rest) = where_sql.strip_prefix(" WHERE ") {
            conds.push(format!("({rest})"));
        }
        let param = |binds: &mut Vec<Bind>, value: Bind| {
            binds.push(value);
            format!("${}", binds.len())
        };
        let active = param(&mut binds, Bind::Bool(true));
        conds.push(format!("active = {active} AND user_type <> 'app'"));
        let needle = term.to_lowercase();
        if !needle.is_empty() {
            let p = param(&mut binds, Bind::Text(needle));
            let find = find_fn(self.dialect);
            conds.push(format!(
                "({find}(lower(username), {p}) > 0 OR {find}(lower(name), {p}) > 0)"
            ));
        }
        for exception in exceptions {
            let p = param(&mut binds, Bind::Text(exception.to_lowercase()));
            conds.push(format!("lower(username) <> {p}"));
        }
        match scope {
            UserScope::Everyone => {}
            UserScope::DirectContactsOf(uid) => {
                let p = param(&mut binds, Bind::Text(uid.to_owned()));
                conds.push(format!(
                    "id <> {p} AND id IN (SELECT o.user_id FROM subscriptions m JOIN subscriptions o \
                     ON o.rid = m.rid WHERE m.user_id = {p} AND m.t = 'd')"
                ));
            }
            UserScope::RoomMatesOf(uid) => {
                let p = param(&mut binds, Bind::Text(uid.to_owned()));
                conds.push(format!(
                    "id <> {p} AND id IN (SELECT o.user_id FROM subscriptions m JOIN subscriptions o \
                     ON o.rid = m.rid WHERE m.user_id = {p})"
                ));
            }
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE {} ORDER BY username LIMIT {}",
            conds.join(" AND "),
            limit.clamp(1, 100)
        );
        bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Deletes a user with everything that hangs off them: memberships (noted in the
    /// trash), login tokens, and their messages as `erasure` says. Room counters and last
    /// messages are repaired. Returns false when there was no such user.
    pub async fn delete_user_erasing(
        &self,
        id: &str,
        erasure: &MessageErasure,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let mut touched_rooms: Vec<String> = Vec::new();
        match erasure {
            MessageErasure::Delete => {
                let rows = sqlx::query(
                    "SELECT rid, COUNT(*) AS n FROM messages WHERE user_id = $1 GROUP BY rid",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                let mut counts: Vec<(String, i64)> = Vec::new();
                for row in &rows {
                    counts.push((get(row, "rid")?, get(row, "n")?));
                }
                sqlx::query(
                    "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) \
                     SELECT id, 'messages', rid, user_id, $2, '{}' FROM messages WHERE user_id = $1 \
                     ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM messages WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for (rid, n) in counts {
                    sqlx::query(
                        "UPDATE rooms SET msgs = CASE WHEN msgs > $2 THEN msgs - $2 ELSE 0 END, \
                         updated_at = $3 WHERE id = $1",
                    )
                    .bind(&rid)
                    .bind(n)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    touched_rooms.push(rid);
                }
            }
            MessageErasure::Unlink {
                user_id,
                username,
                alias,
            } => {
                let rows = sqlx::query("SELECT DISTINCT rid FROM messages WHERE user_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in &rows {
                    touched_rooms.push(get(row, "rid")?);
                }
                let set_alias = match self.dialect {
                    Dialect::Sqlite => "json_set(extra, '$.alias', $5)",
                    Dialect::Postgres => {
                        "(extra::jsonb || jsonb_build_object('alias', ($5)::text))::text"
                    }
                };
                sqlx::query(&format!(
                    "UPDATE messages SET user_id = $2, username = $3, user_name = NULL, \
                     updated_at = $4, extra = {set_alias} WHERE user_id = $1"
                ))
                .bind(id)
                .bind(user_id)
                .bind(username)
                .bind(now)
                .bind(alias)
                .execute(&mut *tx)
                .await?;
            }
            MessageErasure::Keep => {}
        }
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) \
             SELECT id, 'subscriptions', rid, user_id, $2, '{}' FROM subscriptions WHERE user_id = $1 \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE rooms SET users_count = users_count - 1, updated_at = $2 \
             WHERE id IN (SELECT rid FROM subscriptions WHERE user_id = $1) AND users_count > 0",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM subscriptions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_tokens WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        for rid in touched_rooms {
            self.refresh_last_message(&rid, now).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// Keeps the room documents in step with a user's new username and name (what
    /// `rename_user_everywhere` leaves to the rooms): the creator reference, the
    /// `usernames` of direct rooms, `muted` lists, and the embedded last messages of the
    /// user's rooms.
    pub async fn rename_user_in_rooms(
        &self,
        user_id: &str,
        old_username: &str,
        username: &str,
        now: i64,
    ) -> Result<()> {
        if old_username != username {
            let (old_json, new_json) = (json_text(old_username), json_text(username));
            let mut tx = self.write.begin().await?;
            sqlx::query("UPDATE rooms SET creator_username = $2 WHERE creator_id = $1")
                .bind(user_id)
                .bind(username)
                .execute(&mut *tx)
                .await?;
            let in_dm = crate::filter::list_contains(self.dialect, "uids", "$1");
            sqlx::query(&format!(
                "UPDATE rooms SET usernames = replace(usernames, $2, $3), updated_at = $4 \
                 WHERE t = 'd' AND {in_dm}"
            ))
            .bind(user_id)
            .bind(&old_json)
            .bind(&new_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let muted = crate::filter::list_contains(self.dialect, "muted", "$1");
            sqlx::query(&format!(
                "UPDATE rooms SET muted = replace(muted, $2, $3), updated_at = $4 WHERE {muted}"
            ))
            .bind(old_username)
            .bind(&old_json)
            .bind(&new_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        let rows = sqlx::query("SELECT rid FROM subscriptions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        for row in &rows {
            let rid: String = get(row, "rid")?;
            self.refresh_last_message(&rid, now).await?;
        }
        Ok(())
    }

    /// Points a room's `lm` / `lastMessage` at its newest message shown in the room.
    async fn refresh_last_message(&self, rid: &str, now: i64) -> Result<()> {
        let latest = self
            .room_history(
                rid,
                &crate::messages::HistoryQuery {
                    count: 1,
                    ..Default::default()
                },
            )
            .await?;
        let last = latest.first();
        sqlx::query("UPDATE rooms SET lm = $2, last_message = $3, updated_at = $4 WHERE id = $1")
            .bind(rid)
            .bind(last.map(|m| m.ts))
            .bind(last.map(json_text))
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
