//! The one place that answers "may user U do P (in room R)?": the user's global roles, plus
//! their roles in the room's membership when a room is given, against the roles the
//! permission is granted to. Handlers call [`Authz::require`]; nothing checks roles inline.

use std::collections::HashMap;
use std::sync::RwLock;

use ferrochat_model::User;
use ferrochat_store::Store;

use crate::error::{Error, Result};
use crate::registry::{permissions::PERMISSIONS, roles::ROLES};

pub struct Authz {
    grants: RwLock<HashMap<String, Vec<String>>>,
}

impl Authz {
    /// Seeds missing roles and permissions (an administrator's edits are kept) and loads the
    /// permission table into memory.
    pub async fn load(store: &Store, now: i64) -> Result<Self> {
        let roles: Vec<ferrochat_store::permissions::StoredRole> = ROLES
            .iter()
            .map(|r| ferrochat_store::permissions::StoredRole {
                id: r.id.to_owned(),
                name: r.id.to_owned(),
                scope: r.scope.as_str().to_owned(),
                description: r.description.to_owned(),
                protected: true,
                mandatory2fa: false,
                updated_at: now,
            })
            .collect();
        store.seed_roles(&roles).await?;
        // Rocket.Chat also gives every setting a `change-setting-<id>` permission, held by no
        // role until an administrator grants it.
        let setting_permissions = crate::services::settings_admin::permission_ids();
        let defaults: Vec<(&str, Vec<String>)> = PERMISSIONS
            .iter()
            .map(|p| (p.id, p.roles.iter().map(|r| (*r).to_owned()).collect()))
            .chain(
                setting_permissions
                    .iter()
                    .map(|id| (id.as_str(), Vec::new())),
            )
            .collect();
        store.seed_permissions(&defaults, now).await?;
        let authz = Self {
            grants: RwLock::new(HashMap::new()),
        };
        authz.reload(store).await?;
        Ok(authz)
    }

    /// Re-reads the permission table (after an edit, or an edit announced by another node).
    pub async fn reload(&self, store: &Store) -> Result<()> {
        let table: HashMap<String, Vec<String>> = store
            .permissions()
            .await?
            .into_iter()
            .map(|p| (p.id, p.roles))
            .collect();
        if let Ok(mut grants) = self.grants.write() {
            *grants = table;
        }
        Ok(())
    }

    /// The roles a permission is granted to.
    pub fn roles_for(&self, permission: &str) -> Vec<String> {
        self.grants
            .read()
            .ok()
            .and_then(|g| g.get(permission).cloned())
            .unwrap_or_default()
    }

    fn granted(&self, permission: &str, roles: &[String]) -> bool {
        let Ok(grants) = self.grants.read() else {
            return false;
        };
        grants
            .get(permission)
            .is_some_and(|allowed| roles.iter().any(|r| allowed.contains(r)))
    }

    /// Whether the user's global roles grant the permission.
    pub fn has_global(&self, user: &User, permission: &str) -> bool {
        self.granted(permission, &user.roles)
    }

    /// Whether the user holds the permission, globally or through their roles in `rid`.
    pub async fn has(
        &self,
        store: &Store,
        user: &User,
        permission: &str,
        rid: Option<&str>,
    ) -> Result<bool> {
        if self.has_global(user, permission) {
            return Ok(true);
        }
        let Some(rid) = rid else {
            return Ok(false);
        };
        Ok(match store.subscription(rid, &user.id).await? {
            Some(sub) => self.granted(permission, &sub.roles),
            None => false,
        })
    }

    pub async fn has_any(
        &self,
        store: &Store,
        user: &User,
        permissions: &[&str],
        rid: Option<&str>,
    ) -> Result<bool> {
        for permission in permissions {
            if self.has(store, user, permission, rid).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Fails with Rocket.Chat's 403 unless the user holds the permission.
    pub async fn require(
        &self,
        store: &Store,
        user: &User,
        permission: &str,
        rid: Option<&str>,
    ) -> Result<()> {
        if self.has(store, user, permission, rid).await? {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}
