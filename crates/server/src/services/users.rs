//! Users: creation (shared by registration, admin creation and start-up seeding), the
//! shapes users go out in, and preferences.

use ferrochat_model::names::NameRule;
use ferrochat_model::time::now_ms;
use ferrochat_model::{DateStyle, User, ids};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::services::rooms;
use crate::state::AppState;

/// Usernames nobody may register (`Accounts_SystemBlockedUsernameList`, hidden in
/// Rocket.Chat's settings).
const BLOCKED_USERNAMES: &[&str] = &["admin", "administrator", "system", "user"];

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub id: Option<String>,
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// The client digest of the password; `None` for accounts that cannot log in by
    /// password (bots created by the server).
    pub password_digest: Option<String>,
    pub roles: Vec<String>,
    pub active: bool,
    pub user_type: String,
    pub join_default_channels: bool,
    pub require_password_change: bool,
    pub custom_fields: Option<Value>,
    /// Refuse the system's reserved names (self-registration does; an administrator may
    /// choose them).
    pub check_blocked_names: bool,
}

pub fn username_rule(state: &AppState) -> NameRule {
    NameRule::new(&state.settings.string("UTF8_User_Names_Validation"))
        .unwrap_or_else(|_| NameRule::default_rule())
}

/// Checks that a username is well-formed and free.
pub async fn check_username(state: &AppState, username: &str, except_user: Option<&str>, check_blocked: bool) -> Result<()> {
    if !username_rule(state).is_valid(username) {
        return Err(Error::failure(
            "error-input-is-not-a-valid-field",
            format!("{username} is not a valid username"),
        )
        .with_details(json!({"method": "insertOrUpdateUser", "input": username, "field": "Username"})));
    }
    if check_blocked && BLOCKED_USERNAMES.contains(&username.to_ascii_lowercase().as_str()) {
        return Err(Error::failure(
            "error-blocked-username",
            format!("{username} is blocked and can't be used!"),
        ));
    }
    if let Some(existing) = state.store.user_by_username(username).await?
        && Some(existing.id.as_str()) != except_user
    {
        return Err(Error::failure(
            "error-field-unavailable",
            format!("{username} is already in use :("),
        )
        .with_details(json!({"method": "insertOrUpdateUser", "field": username})));
    }
    Ok(())
}

/// A syntactic check: something@something.tld, no spaces, sane length.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub async fn check_email(state: &AppState, email: &str, except_user: Option<&str>) -> Result<()> {
    if !is_valid_email(email) {
        return Err(Error::failure("error-invalid-email", format!("Invalid email {email}"))
            .with_details(json!({"method": "insertOrUpdateUser", "email": email})));
    }
    if let Some(existing) = state.store.user_by_email(email).await?
        && Some(existing.id.as_str()) != except_user
    {
        return Err(Error::failure(
            "error-field-unavailable",
            format!("{email} is already in use :("),
        )
        .with_details(json!({"method": "insertOrUpdateUser", "field": email})));
    }
    Ok(())
}

/// Creates a user: validates, hashes the password, stores, and joins the default rooms.
/// The first human account on a server without an administrator becomes one.
pub async fn create_user(state: &AppState, new: NewUser) -> Result<User> {
    let name = new.name.trim().to_owned();
    if name.chars().count() > 255 {
        return Err(Error::failure("error-invalid-name", "The name is too long"));
    }
    check_username(state, &new.username, None, new.check_blocked_names).await?;
    if let Some(email) = &new.email {
        check_email(state, email, None).await?;
    }
    let password_hash = match &new.password_digest {
        Some(digest) => Some(state.passwords.hash(digest).await?),
        None => None,
    };
    let mut roles = new.roles.clone();
    if roles.is_empty() {
        roles = state
            .settings
            .string("Accounts_Registration_Users_Default_Roles")
            .split(',')
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
    }
    if new.user_type == "user" && !roles.iter().any(|r| r == "admin") {
        let (admins, _) = state
            .store
            .users_in_role("admin", ferrochat_store::Page { offset: 0, count: Some(1) })
            .await?;
        if admins.iter().all(|u| u.user_type != "user") {
            roles.push("admin".into());
        }
    }
    let now = now_ms();
    let user = User {
        id: new.id.clone().unwrap_or_else(ids::random_id),
        username: new.username.clone(),
        name: if name.is_empty() { new.username.clone() } else { name },
        email: new.email.clone(),
        email_verified: new.email_verified,
        user_type: new.user_type.clone(),
        active: new.active,
        roles,
        status: "offline".into(),
        status_default: "online".into(),
        status_connection: "offline".into(),
        status_text: String::new(),
        utc_offset: 0.0,
        created_at: now,
        updated_at: now,
        last_login: None,
        password_hash,
        require_password_change: new.require_password_change,
        avatar_etag: None,
        bio: None,
        nickname: None,
        language: None,
        preferences: Map::new(),
        custom_fields: new.custom_fields.clone(),
    };
    state.store.insert_user(&user).await.map_err(|e| match e {
        ferrochat_store::StoreError::Duplicate(_) => Error::failure(
            "error-field-unavailable",
            format!("{} is already in use :(", user.username),
        ),
        other => other.into(),
    })?;
    if new.join_default_channels {
        for room in state.store.default_rooms().await? {
            rooms::add_member(state, &room, &user, Vec::new(), Some(&user)).await?;
        }
    }
    Ok(user)
}

/// The user as `viewer` may see them: everything but secrets for themselves and for
/// callers with `view-full-other-user-info`, the public profile for everyone else.
pub fn user_for_viewer(state: &AppState, viewer: Option<&User>, user: &User) -> Value {
    let full = viewer.is_some_and(|v| v.id == user.id || state.authz.has_global(v, "view-full-other-user-info"));
    if full {
        user.to_private(DateStyle::Iso)
    } else {
        user.to_public()
    }
}

/// The user's preferences with the server's defaults filled in
/// (`Accounts_Default_User_Preferences_*`).
pub fn preferences(state: &AppState, user: &User) -> Map<String, Value> {
    const PREFIX: &str = "Accounts_Default_User_Preferences_";
    let mut prefs: Map<String, Value> = state
        .settings
        .all()
        .into_iter()
        .filter_map(|s| s.def.id.strip_prefix(PREFIX).map(|key| (key.to_owned(), s.value)))
        .collect();
    for (key, value) in &user.preferences {
        prefs.insert(key.clone(), value.clone());
    }
    prefs
}

/// `getUserInfo`: what `/me` and login return about the caller.
pub fn me(state: &AppState, user: &User) -> Value {
    let mut doc = user.to_private(DateStyle::Iso);
    if let Some(email) = &user.email {
        doc["email"] = Value::String(email.clone());
    }
    doc["settings"] = json!({"profile": {}, "preferences": preferences(state, user)});
    doc["avatarUrl"] = Value::String(format!(
        "{}/avatar/{}",
        state.settings.string("Site_Url").trim_end_matches('/'),
        user.username
    ));
    doc["isOAuthUser"] = Value::Bool(false);
    doc["services"] = json!({"password": {"exists": user.password_hash.is_some()}});
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax() {
        assert!(is_valid_email("a@example.com"));
        assert!(!is_valid_email("a@localhost"));
        assert!(!is_valid_email("@example.com"));
        assert!(!is_valid_email("a b@example.com"));
        assert!(!is_valid_email("nope"));
    }
}
