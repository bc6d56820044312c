//! Roles and permissions as stored (seeded from the server's registry, then edited by
//! administrators).

use crate::rows::{get, get_bool, json_text, string_list};
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredPermission {
    pub id: String,
    pub roles: Vec<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredRole {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub description: String,
    pub protected: bool,
    pub mandatory2fa: bool,
    pub updated_at: i64,
}

const ROLE_COLUMNS: &str = "id, name, scope, description, protected, mandatory2fa, updated_at";

fn role_from_row(row: &sqlx::any::AnyRow) -> Result<StoredRole> {
    Ok(StoredRole {
        id: get(row, "id")?,
        name: get(row, "name")?,
        scope: get(row, "scope")?,
        description: get(row, "description")?,
        protected: get_bool(row, "protected")?,
        mandatory2fa: get_bool(row, "mandatory2fa")?,
        updated_at: get(row, "updated_at")?,
    })
}

impl Store {
    pub async fn permissions(&self) -> Result<Vec<StoredPermission>> {
        let rows = sqlx::query("SELECT id, roles, updated_at FROM permissions ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredPermission {
                    id: get(row, "id")?,
                    roles: string_list(&get::<String>(row, "roles")?)?,
                    updated_at: get(row, "updated_at")?,
                })
            })
            .collect()
    }

    /// Inserts permissions that do not exist yet; existing ones (and an admin's edits) stay.
    pub async fn seed_permissions(
        &self,
        defaults: &[(&str, Vec<String>)],
        now: i64,
    ) -> Result<u64> {
        // Every start seeds a few hundred rows (one per setting, too); on an existing
        // database nearly all are there, so only the missing ones are written.
        let present: std::collections::HashSet<String> = sqlx::query("SELECT id FROM permissions")
            .fetch_all(&self.write)
            .await?
            .iter()
            .map(|row| get(row, "id"))
            .collect::<Result<_>>()?;
        let missing: Vec<&(&str, Vec<String>)> = defaults
            .iter()
            .filter(|(id, _)| !present.contains(*id))
            .collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write.begin().await?;
        let mut added = 0;
        for (id, roles) in missing {
            added += sqlx::query(
                "INSERT INTO permissions (id, roles, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(*id)
            .bind(json_text(roles))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn set_permission_roles(&self, id: &str, roles: &[String], now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE permissions SET roles = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(json_text(roles))
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn roles(&self) -> Result<Vec<StoredRole>> {
        let rows = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(role_from_row).collect()
    }

    /// Inserts roles that do not exist yet.
    pub async fn seed_roles(&self, roles: &[StoredRole]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        for role in roles {
            sqlx::query(
                "INSERT INTO roles (id, name, scope, description, protected, mandatory2fa, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&role.id)
            .bind(&role.name)
            .bind(&role.scope)
            .bind(&role.description)
            .bind(role.protected)
            .bind(role.mandatory2fa)
            .bind(role.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    pub async fn role(&self, id_or_name: &str) -> Result<Option<StoredRole>> {
        let row = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE id = $1 OR name = $1 \
             ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1"
        ))
        .bind(id_or_name)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(role_from_row).transpose()
    }

    /// Creates a role, or rewrites an existing one's name, scope, description and flag.
    pub async fn put_role(&self, role: &StoredRole) -> Result<()> {
        sqlx::query(
            "INSERT INTO roles (id, name, scope, description, protected, mandatory2fa, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             scope = excluded.scope, description = excluded.description, \
             mandatory2fa = excluded.mandatory2fa, updated_at = excluded.updated_at",
        )
        .bind(&role.id)
        .bind(&role.name)
        .bind(&role.scope)
        .bind(&role.description)
        .bind(role.protected)
        .bind(role.mandatory2fa)
        .bind(role.updated_at)
        .execute(&self.write)
        .await
        .map_err(crate::classify)?;
        Ok(())
    }

    /// Deletes a role, noting it in the trash for `roles.sync`.
    pub async fn delete_role(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() > 0 {
            sqlx::query(
                "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) VALUES ($1, 'roles', NULL, NULL, $2, '{}') \
                 ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Roles deleted after a time: `(id, deleted_at)`.
    pub async fn deleted_roles(&self, since: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT id, deleted_at FROM trash WHERE collection = 'roles' AND deleted_at > $1 ORDER BY deleted_at",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "deleted_at")?)))
            .collect()
    }

    /// How many users hold a role, globally or in any room.
    pub async fn count_role_holders(&self, role: &str) -> Result<i64> {
        let users = crate::filter::list_contains(self.dialect, "roles", "$1");
        let row = sqlx::query(&format!(
            "SELECT (SELECT COUNT(*) FROM users WHERE {users}) + \
             (SELECT COUNT(*) FROM subscriptions WHERE {users}) AS n"
        ))
        .bind(role)
        .fetch_one(&self.read)
        .await?;
        get(&row, "n")
    }
}
