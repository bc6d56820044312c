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
        let mut tx = self.write.begin().await?;
        let mut added = 0;
        for (id, roles) in defaults {
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
        let rows = sqlx::query(
            "SELECT id, name, scope, description, protected, mandatory2fa, updated_at FROM roles ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredRole {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    scope: get(row, "scope")?,
                    description: get(row, "description")?,
                    protected: get_bool(row, "protected")?,
                    mandatory2fa: get_bool(row, "mandatory2fa")?,
                    updated_at: get(row, "updated_at")?,
                })
            })
            .collect()
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
