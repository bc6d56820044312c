//! Administering permissions and roles: listing them for clients, editing which roles hold a
//! permission, and granting or revoking roles (globally, or in a room for `Subscriptions`
//! roles). Every change reloads the permission table on all nodes and is announced on
//! `stream-notify-logged`.

use std::net::IpAddr;

use ferrochat_model::time::{iso, now_ms};
use ferrochat_model::{DateStyle, User, ids};
use ferrochat_store::Page;
use ferrochat_store::permissions::{StoredPermission, StoredRole};
use ferrochat_store::subscriptions::SubscriptionPatch;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::{audit, events, node_sync, settings_admin};
use crate::state::AppState;

pub fn permission_to_wire(permission: &StoredPermission, style: DateStyle) -> Value {
    let mut doc = json!({"_id": permission.id, "roles": permission.roles, "_updatedAt": style.date(permission.updated_at)});
    // Per-setting permissions carry the setting they guard, for the admin's permission screen.
    if let Some(def) = permission
        .id
        .strip_prefix(settings_admin::PERMISSION_PREFIX)
        .and_then(crate::registry::settings::find)
    {
        doc["level"] = json!("settings");
        doc["settingId"] = json!(def.id);
        doc["group"] = json!(def.group);
        if let Some(section) = def.section {
            doc["section"] = json!(section);
        }
    }
    doc
}

pub fn role_to_wire(role: &StoredRole, with_updated_at: bool) -> Value {
    let mut doc = json!({
        "_id": role.id,
        "name": role.name,
        "scope": role.scope,
        "description": role.description,
        "protected": role.protected,
        "mandatory2fa": role.mandatory2fa,
    });
    if with_updated_at {
        doc["_updatedAt"] = Value::String(iso(role.updated_at));
    }
    doc
}

/// Every permission, or those changed after `since` (`permissions.listAll`,
/// `permissions/get`). Permissions are never deleted, so nothing is ever removed.
pub async fn permissions(state: &AppState, since: Option<i64>) -> Result<Vec<StoredPermission>> {
    Ok(state
        .store
        .permissions()
        .await?
        .into_iter()
        .filter(|p| since.is_none_or(|t| p.updated_at > t))
        .collect())
}

/// `permissions.update`: sets the roles of each listed permission. All are checked before
/// any is written.
pub async fn update_permissions(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    changes: &[(String, Vec<String>)],
) -> Result<Vec<StoredPermission>> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    let existing = state.store.permissions().await?;
    let roles = state.store.roles().await?;
    for (id, granted) in changes {
        if !existing.iter().any(|p| &p.id == id) {
            return Err(
                Error::failure("error-invalid-permission", "Invalid permission")
                    .with_details(json!({"method": "authorization:saveRole"})),
            );
        }
        if let Some(unknown) = granted
            .iter()
            .find(|r| !roles.iter().any(|role| &role.id == *r || &role.name == *r))
        {
            return Err(Error::failure(
                "error-invalid-role",
                format!("Invalid role {unknown}"),
            ));
        }
    }
    let now = now_ms();
    for (id, granted) in changes {
        // Roles may be named by id or by name; grants are stored by id, which is what users'
        // and memberships' role lists hold.
        let mut unique: Vec<String> = Vec::with_capacity(granted.len());
        for given in granted {
            let role_id = roles
                .iter()
                .find(|role| &role.id == given)
                .or_else(|| roles.iter().find(|role| &role.name == given))
                .map_or_else(|| given.clone(), |role| role.id.clone());
            if !unique.contains(&role_id) {
                unique.push(role_id);
            }
        }
        state.store.set_permission_roles(id, &unique, now).await?;
    }
    state.authz.reload(&state.store).await?;
    node_sync::permissions_changed(state);
    let all = state.store.permissions().await?;
    for permission in all
        .iter()
        .filter(|p| changes.iter().any(|(id, _)| id == &p.id))
    {
        let before = existing.iter().find(|p| p.id == permission.id);
        audit::record(
            state,
            caller,
            ip,
            "permissions.update",
            "permission",
            &permission.id,
            before.map(|p| json!({"roles": p.roles})),
            Some(json!({"roles": permission.roles})),
        )
        .await;
        events::notify_logged(
            state,
            "permissions-changed",
            json!(["updated", permission_to_wire(permission, DateStyle::EJson)]),
        );
    }
    Ok(all)
}

pub struct RoleInput {
    pub name: String,
    pub scope: Option<String>,
    pub description: Option<String>,
    pub mandatory2fa: Option<bool>,
}

fn check_scope(scope: &str) -> Result<()> {
    if scope == "Users" || scope == "Subscriptions" {
        Ok(())
    } else {
        Err(Error::failure("error-invalid-scope", "Invalid scope"))
    }
}

fn announce_role(state: &AppState, kind: &str, role: &StoredRole) {
    events::notify_logged(
        state,
        "roles-change",
        json!([{"type": kind, "_id": role.id, "name": role.name, "scope": role.scope}]),
    );
}

/// `roles.create`: a custom role (random id, unique name).
pub async fn create_role(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    input: RoleInput,
) -> Result<StoredRole> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::failure(
            "error-invalid-role-properties",
            "The role's name is invalid",
        ));
    }
    let scope = input.scope.unwrap_or_else(|| "Users".into());
    check_scope(&scope)?;
    if state.store.role(&name).await?.is_some() {
        return Err(Error::failure(
            "error-duplicate-role-names-not-allowed",
            "Role name already exists",
        ));
    }
    let role = StoredRole {
        id: ids::random_id(),
        name,
        scope,
        description: input.description.unwrap_or_default(),
        protected: false,
        mandatory2fa: input.mandatory2fa.unwrap_or(false),
        updated_at: now_ms(),
    };
    state.store.put_role(&role).await?;
    audit::record(
        state,
        caller,
        ip,
        "role.create",
        "role",
        &role.id,
        None,
        Some(role_to_wire(&role, false)),
    )
    .await;
    announce_role(state, "changed", &role);
    Ok(role)
}

/// `roles.update`: renames or re-describes a role. Built-in roles keep their names.
pub async fn update_role(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    role_id: &str,
    input: RoleInput,
) -> Result<StoredRole> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    let Some(mut role) = state.store.role(role_id).await?.filter(|r| r.id == role_id) else {
        return Err(Error::failure(
            "error-invalid-roleId",
            "This role does not exist",
        ));
    };
    let name = input.name.trim().to_owned();
    if role.protected && name != role.name {
        return Err(Error::failure(
            "error-role-protected",
            "Cannot change the name of a protected role",
        ));
    }
    if name.is_empty() || name.len() > 100 {
        return Err(Error::failure(
            "error-invalid-role-properties",
            "The role's name is invalid",
        ));
    }
    if let Some(other) = state.store.role(&name).await?
        && other.id != role.id
    {
        return Err(Error::failure(
            "error-duplicate-role-names-not-allowed",
            "Role name already exists",
        ));
    }
    let before = role_to_wire(&role, false);
    if let Some(scope) = input.scope {
        check_scope(&scope)?;
        role.scope = scope;
    }
    role.name = name;
    if let Some(description) = input.description {
        role.description = description;
    }
    if let Some(flag) = input.mandatory2fa {
        role.mandatory2fa = flag;
    }
    role.updated_at = now_ms();
    state.store.put_role(&role).await?;
    audit::record(
        state,
        caller,
        ip,
        "role.update",
        "role",
        &role.id,
        Some(before),
        Some(role_to_wire(&role, false)),
    )
    .await;
    announce_role(state, "changed", &role);
    Ok(role)
}

/// `roles.delete`: only unprotected roles nobody holds.
pub async fn delete_role(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    role_id: &str,
) -> Result<()> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    let Some(role) = state.store.role(role_id).await? else {
        return Err(Error::failure(
            "error-invalid-roleId",
            "This role does not exist",
        ));
    };
    if role.protected {
        return Err(Error::failure(
            "error-role-protected",
            "Cannot delete a protected role",
        ));
    }
    if state.store.count_role_holders(&role.id).await? > 0 {
        return Err(Error::failure(
            "error-role-in-use",
            "Cannot delete role because it's in use",
        ));
    }
    state.store.delete_role(&role.id, now_ms()).await?;
    audit::record(
        state,
        caller,
        ip,
        "role.delete",
        "role",
        &role.id,
        Some(role_to_wire(&role, false)),
        None,
    )
    .await;
    announce_role(state, "removed", &role);
    Ok(())
}

/// Roles changed after `since`, and roles deleted after it (`roles.sync`).
pub async fn sync_roles(
    state: &AppState,
    since: i64,
) -> Result<(Vec<StoredRole>, Vec<(String, i64)>)> {
    let update = state
        .store
        .roles()
        .await?
        .into_iter()
        .filter(|r| r.updated_at > since)
        .collect();
    Ok((update, state.store.deleted_roles(since).await?))
}

async fn target_user(state: &AppState, username: &str) -> Result<User> {
    state
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| Error::failure("error-invalid-user", "There is no user with this username"))
}

fn role_event(state: &AppState, kind: &str, role: &StoredRole, user: &User, rid: Option<&str>) {
    let mut change = json!({
        "type": kind,
        "_id": role.id,
        "u": {"_id": user.id, "username": user.username, "name": user.name},
    });
    if let Some(rid) = rid {
        change["scope"] = Value::String(rid.to_owned());
    }
    events::notify_logged(state, "roles-change", json!([change]));
}

/// Audits a grant or revocation: the target is the user, the snapshots their roles
/// (in the room, for room roles).
async fn audit_grant(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    action: &str,
    (role, user, rid): (&StoredRole, &User, Option<&str>),
    before: Vec<String>,
    after: Vec<String>,
) {
    let snapshot = |roles: Vec<String>| {
        let mut doc = json!({"role": role.id, "username": user.username, "roles": roles});
        if let Some(rid) = rid {
            doc["rid"] = Value::String(rid.to_owned());
        }
        doc
    };
    audit::record(
        state,
        caller,
        ip,
        action,
        "user",
        &user.id,
        Some(snapshot(before)),
        Some(snapshot(after)),
    )
    .await;
}

/// `roles.addUserToRole`: grants a role, in a room for `Subscriptions` roles.
pub async fn add_user_to_role(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    role_id: &str,
    username: &str,
    rid: Option<&str>,
) -> Result<StoredRole> {
    if !state
        .authz
        .has(&state.store, caller, "access-permissions", None)
        .await?
    {
        return Err(Error::failure(
            "error-action-not-allowed",
            "Accessing permissions is not allowed",
        ));
    }
    let Some(role) = state.store.role(role_id).await? else {
        return Err(Error::failure("error-role-not-found", "Role not found"));
    };
    if role.id == "admin"
        && !state
            .authz
            .has(&state.store, caller, "assign-admin-role", None)
            .await?
    {
        return Err(Error::failure(
            "error-action-not-allowed",
            "Assigning admin is not allowed",
        ));
    }
    let mut user = target_user(state, username).await?;
    let roles_before: Vec<String>;
    let roles_after: Vec<String>;
    match (role.scope.as_str(), rid) {
        ("Subscriptions", Some(rid)) => {
            let Some(sub) = state.store.subscription(rid, &user.id).await? else {
                return Err(Error::failure(
                    "error-invalid-room",
                    "The user is not a member of this room",
                ));
            };
            if sub.roles.contains(&role.id) {
                return Err(Error::failure(
                    "error-user-already-in-role",
                    "User already in role",
                ));
            }
            let mut roles = sub.roles.clone();
            roles.push(role.id.clone());
            roles_before = sub.roles.clone();
            roles_after = roles.clone();
            let patch = SubscriptionPatch {
                roles: Some(roles),
                ..Default::default()
            };
            state
                .store
                .update_subscription(rid, &user.id, &patch, now_ms())
                .await?;
            events::subscription_updated(state, rid, &user.id).await;
        }
        ("Subscriptions", None) => {
            return Err(Error::failure(
                "error-invalid-arguments",
                "A room is required for a room role",
            ));
        }
        _ => {
            if user.roles.contains(&role.id) {
                return Err(Error::failure(
                    "error-user-already-in-role",
                    "User already in role",
                ));
            }
            roles_before = user.roles.clone();
            user.roles.push(role.id.clone());
            roles_after = user.roles.clone();
            user.updated_at = now_ms();
            state.store.update_user(&user).await?;
        }
    }
    audit_grant(
        state,
        caller,
        ip,
        "role.grant",
        (&role, &user, rid),
        roles_before,
        roles_after,
    )
    .await;
    role_event(state, "added", &role, &user, rid);
    Ok(role)
}

/// `roles.removeUserFromRole`: revokes a role; the last administrator stays one.
pub async fn remove_user_from_role(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    role_id: &str,
    username: &str,
    rid: Option<&str>,
) -> Result<StoredRole> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    let mut user = target_user(state, username).await?;
    let Some(role) = state.store.role(role_id).await? else {
        return Err(Error::failure(
            "error-invalid-roleId",
            "This role does not exist",
        ));
    };
    let not_in_role = || Error::failure("error-user-not-in-role", "User is not in this role");
    let scoped_rid = rid.filter(|_| role.scope == "Subscriptions");
    let roles_before: Vec<String>;
    let roles_after: Vec<String>;
    match scoped_rid {
        Some(rid) => {
            let sub = state
                .store
                .subscription(rid, &user.id)
                .await?
                .ok_or_else(not_in_role)?;
            if !sub.roles.contains(&role.id) {
                return Err(not_in_role());
            }
            roles_before = sub.roles.clone();
            roles_after = sub
                .roles
                .iter()
                .filter(|r| **r != role.id)
                .cloned()
                .collect();
            let patch = SubscriptionPatch {
                roles: Some(roles_after.clone()),
                ..Default::default()
            };
            state
                .store
                .update_subscription(rid, &user.id, &patch, now_ms())
                .await?;
            events::subscription_updated(state, rid, &user.id).await;
        }
        None => {
            if !user.roles.contains(&role.id) {
                return Err(not_in_role());
            }
            if role.id == "admin" {
                let (admins, _) = state
                    .store
                    .users_in_role(
                        "admin",
                        Page {
                            offset: 0,
                            count: Some(2),
                        },
                    )
                    .await?;
                if admins.len() <= 1 {
                    return Err(Error::failure(
                        "error-admin-required",
                        "You need to have at least one admin",
                    ));
                }
            }
            roles_before = user.roles.clone();
            user.roles.retain(|r| *r != role.id);
            roles_after = user.roles.clone();
            user.updated_at = now_ms();
            state.store.update_user(&user).await?;
        }
    }
    audit_grant(
        state,
        caller,
        ip,
        "role.revoke",
        (&role, &user, scoped_rid),
        roles_before,
        roles_after,
    )
    .await;
    role_event(state, "removed", &role, &user, rid);
    Ok(role)
}

/// `roles.getUsersInRole`: holders of a role, globally or in one room.
pub async fn users_in_role(
    state: &AppState,
    caller: &User,
    role_id: &str,
    rid: Option<&str>,
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    state
        .authz
        .require(&state.store, caller, "access-permissions", None)
        .await?;
    if rid.is_some()
        && !state
            .authz
            .has(&state.store, caller, "view-other-user-channels", None)
            .await?
    {
        return Err(Error::failure("error-not-allowed", "Not allowed"));
    }
    let Some(role) = state.store.role(role_id).await? else {
        return Err(Error::failure(
            "error-invalid-roleId",
            "This role does not exist",
        ));
    };
    let shape = |u: &User| {
        let mut doc = json!({"_id": u.id, "username": u.username, "name": u.name, "createdAt": iso(u.created_at), "_updatedAt": iso(u.updated_at)});
        if let Some(email) = &u.email {
            doc["emails"] = json!([{"address": email, "verified": u.email_verified}]);
        }
        if let Some(etag) = &u.avatar_etag {
            doc["avatarETag"] = Value::String(etag.clone());
        }
        doc
    };
    match rid {
        Some(rid) => {
            let subs = state.store.subscriptions_with_role(rid, &role.id).await?;
            let ids: Vec<String> = subs.iter().map(|s| s.user.id.clone()).collect();
            let mut users = state.store.users_by_ids(&ids).await?;
            users.sort_by(|a, b| a.username.cmp(&b.username));
            let total = users.len() as i64;
            let page_items = users
                .iter()
                .skip(page.offset.max(0) as usize)
                .take(page.count.map_or(usize::MAX, |c| c.max(0) as usize))
                .map(shape)
                .collect();
            Ok((page_items, total))
        }
        None => {
            let (users, total) = state.store.users_in_role(&role.id, page).await?;
            Ok((users.iter().map(shape).collect(), total))
        }
    }
}

/// `roles.getUsersInPublicRoles` / `getUserRoles`: holders of the public roles, which are
/// the `Users`-scope roles with a description (as Rocket.Chat's `getPublicRoles`), each
/// with just their public roles, sorted by username.
pub async fn users_in_public_roles(state: &AppState) -> Result<Vec<Value>> {
    let public: Vec<String> = state
        .store
        .roles()
        .await?
        .into_iter()
        .filter(|r| r.scope == "Users" && !r.description.is_empty())
        .map(|r| r.id)
        .collect();
    let mut holders: Vec<User> = Vec::new();
    for role in &public {
        let (users, _) = state.store.users_in_role(role, Page::default()).await?;
        for user in users {
            if !holders.iter().any(|h| h.id == user.id) {
                holders.push(user);
            }
        }
    }
    holders.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(holders
        .iter()
        .map(|u| {
            let roles: Vec<&String> = u.roles.iter().filter(|r| public.contains(r)).collect();
            json!({"_id": u.id, "username": u.username, "roles": roles})
        })
        .collect())
}
