//! Users: accounts, profiles, presence fields and preferences.

use ferrochat_model::User;
use sqlx::any::AnyRow;

use crate::filter::{FieldKind, FieldMap, bind_all};
use crate::rows::{get, get_bool, json_text, object, opt_value, string_list};
use crate::{Filter, Page, Result, Sort, Store, classify};

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

    /// Writes every field of the user back (the caller loaded it and changed some).
    pub async fn update_user(&self, user: &User) -> Result<()> {
        sqlx::query(
            "UPDATE users SET username = $2, name = $3, email = $4, email_verified = $5, \
             user_type = $6, active = $7, roles = $8, status = $9, status_default = $10, \
             status_connection = $11, status_text = $12, utc_offset = $13, updated_at = $14, \
             last_login = $15, password_hash = $16, require_password_change = $17, \
             avatar_etag = $18, bio = $19, nickname = $20, language = $21, preferences = $22, \
             custom_fields = $23 WHERE id = $1",
        )
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

    /// Deletes the user, their memberships and tokens (by cascade). Their messages stay,
    /// attributed to the stored username, as in Rocket.Chat.
    pub async fn delete_user(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) \
             SELECT id, 'subscriptions', rid, user_id, $2, '{}' FROM subscriptions WHERE user_id = $1 \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Keep member counts right in the rooms the user leaves.
        sqlx::query(
            "UPDATE rooms SET users_count = users_count - 1, updated_at = $2 \
             WHERE id IN (SELECT rid FROM subscriptions WHERE user_id = $1) AND users_count > 0",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
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
}
