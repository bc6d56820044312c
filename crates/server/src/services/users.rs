//! Users: creation (shared by registration, admin creation and start-up seeding), profile
//! edits, deletion and deactivation (with the room-ownership hand-over Rocket.Chat does),
//! status and presence, preferences, and the shapes users go out in. Everything the
//! `users.*` REST endpoints do lives here, so the DDP methods can call the same functions.
//!
//! Errors copy Rocket.Chat's (`saveUser`, `validateUserData`, `validateUserEditing`,
//! `saveUserIdentity`, `deleteUser`, `setUserActiveStatus`, `saveUserPreferences`, ...).
//! Every operation validates everything before it writes anything.

use std::collections::HashSet;
use std::net::IpAddr;

use ferrochat_model::names::NameRule;
use ferrochat_model::password::client_digest;
use ferrochat_model::time::{now_ms, parse_iso};
use ferrochat_model::{DateStyle, RoomType, User, ids};
use ferrochat_store::users::{FIELDS, MessageErasure, PUBLIC_FIELDS, UserScope};
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::paging::Paging;
use crate::services::passwords::Verified;
use crate::services::{audit, events, rooms};
use crate::state::AppState;

/// Usernames nobody may register (`Accounts_SystemBlockedUsernameList`, hidden in
/// Rocket.Chat's settings).
const BLOCKED_USERNAMES: &[&str] = &["admin", "administrator", "system", "user"];

/// Usernames that would collide with group mentions.
const MENTION_NAMES: &[&str] = &["all", "here"];

const MAX_BIO_LENGTH: usize = 260;
const MAX_NICKNAME_LENGTH: usize = 120;
const MAX_STATUS_TEXT_LENGTH: usize = 120;

/// Statuses a user may choose (`users.setStatus`).
const USER_STATUSES: &[&str] = &["online", "away", "offline", "busy"];

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

/// Whether a username is reserved: the system's names, `all` / `here`, and
/// `Accounts_BlockedUsernameList`.
pub fn is_blocked_username(state: &AppState, username: &str) -> bool {
    let lower = username.trim().to_lowercase();
    BLOCKED_USERNAMES.contains(&lower.as_str())
        || MENTION_NAMES.contains(&lower.as_str())
        || state
            .settings
            .string("Accounts_BlockedUsernameList")
            .split(',')
            .map(|name| name.trim().to_lowercase())
            .any(|name| !name.is_empty() && name == lower)
}

fn blocked_username(username: &str) -> Error {
    Error::failure(
        "error-blocked-username",
        format!("{username} is blocked and can't be used!"),
    )
    .with_details(json!({"method": "checkUsernameAvailability", "field": username}))
}

/// Checks that a username is well-formed and free.
pub async fn check_username(
    state: &AppState,
    username: &str,
    except_user: Option<&str>,
    check_blocked: bool,
) -> Result<()> {
    if !username_rule(state).is_valid(username) {
        return Err(Error::failure(
            "error-input-is-not-a-valid-field",
            format!("{username} is not a valid username"),
        )
        .with_details(
            json!({"method": "insertOrUpdateUser", "input": username, "field": "Username"}),
        ));
    }
    if check_blocked && is_blocked_username(state, username) {
        return Err(blocked_username(username));
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

fn invalid_email(email: &str) -> Error {
    Error::failure("error-invalid-email", format!("Invalid email {email}"))
        .with_details(json!({"method": "insertOrUpdateUser", "email": email}))
}

pub async fn check_email(state: &AppState, email: &str, except_user: Option<&str>) -> Result<()> {
    if !is_valid_email(email) {
        return Err(invalid_email(email));
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
        roles = default_roles(state);
    }
    if new.user_type == "user" && !roles.iter().any(|r| r == "admin") {
        let (admins, _) = state
            .store
            .users_in_role(
                "admin",
                Page {
                    offset: 0,
                    count: None,
                },
            )
            .await?;
        if admins.iter().all(|u| u.user_type != "user") {
            roles.push("admin".into());
        }
    }
    let now = now_ms();
    let user = User {
        id: new.id.clone().unwrap_or_else(ids::random_id),
        username: new.username.clone(),
        name: if name.is_empty() {
            new.username.clone()
        } else {
            name
        },
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

/// `Accounts_Registration_Users_Default_Roles`, split.
fn default_roles(state: &AppState) -> Vec<String> {
    state
        .settings
        .string("Accounts_Registration_Users_Default_Roles")
        .split(',')
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}

/// The user as `viewer` may see them: everything but secrets for themselves and for
/// callers with `view-full-other-user-info`, the public profile for everyone else.
pub fn user_for_viewer(state: &AppState, viewer: Option<&User>, user: &User) -> Value {
    let full = viewer
        .is_some_and(|v| v.id == user.id || state.authz.has_global(v, "view-full-other-user-info"));
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
        .filter_map(|s| {
            s.def
                .id
                .strip_prefix(PREFIX)
                .map(|key| (key.to_owned(), s.value))
        })
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

// -------------------------------------------------------------------------------------------
// Validation shared by the endpoints

/// `validateNameChars`: display names may not contain `<`, `>`, `/` or `\`, also not
/// percent-encoded (as `decodeURI` would reveal them).
pub fn valid_name_chars(name: &str) -> bool {
    let bad = |s: &str| s.contains(['<', '>', '\\', '/']);
    if bad(name) {
        return false;
    }
    match decode_uri(name) {
        Some(decoded) => !bad(&decoded),
        None => false,
    }
}

/// JavaScript's `decodeURI`: `%XX` sequences decode, except those standing for reserved
/// characters; a malformed sequence or invalid UTF-8 is an error.
fn decode_uri(text: &str) -> Option<String> {
    const RESERVED: &[u8] = b";/?:@&=+$,#";
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            if RESERVED.contains(&value) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(value);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn name_contains_invalid_chars() -> Error {
    Error::plain("Name contains invalid characters")
}

fn action_not_allowed(reason: &str, action: &str) -> Error {
    Error::failure("error-action-not-allowed", reason)
        .with_details(json!({"method": "insertOrUpdateUser", "action": action}))
}

fn field_required(field: &str) -> Error {
    Error::failure(
        "error-the-field-is-required",
        format!("The field {field} is required"),
    )
    .with_details(json!({"method": "insertOrUpdateUser", "field": field}))
}

fn could_not_save_identity() -> Error {
    Error::failure(
        "error-could-not-save-identity",
        "Could not save user identity",
    )
    .with_details(json!({"method": "saveUser"}))
}

/// `passwordPolicy.validate`: the `Accounts_Password_Policy_*` settings, all reasons at
/// once in `details`.
pub fn check_password_policy(state: &AppState, password: &str) -> Result<()> {
    let policy_error = |details: Option<Value>| {
        let error = Error::failure(
            "error-password-policy-not-met",
            "The password provided does not meet the server's password policy.",
        );
        match details {
            Some(details) => error.with_details(details),
            None => error,
        }
    };
    if password.trim().is_empty() {
        return Err(policy_error(None));
    }
    let settings = &state.settings;
    if !settings.bool("Accounts_Password_Policy_Enabled") {
        return Ok(());
    }
    let mut reasons: Vec<(&str, &str)> = Vec::new();
    let length = password.encode_utf16().count() as i64;
    let min = settings.int("Accounts_Password_Policy_MinLength");
    let max = settings.int("Accounts_Password_Policy_MaxLength");
    if min >= 1 && length < min {
        reasons.push((
            "error-password-policy-not-met-minLength",
            "The password does not meet the minimum length password policy.",
        ));
    }
    if max >= 1 && length > max {
        reasons.push((
            "error-password-policy-not-met-maxLength",
            "The password does not meet the maximum length password policy.",
        ));
    }
    if settings.bool("Accounts_Password_Policy_ForbidRepeatingCharacters") {
        // `(.)\1{N,}`: a run of more than N equal characters.
        let limit = settings
            .int("Accounts_Password_Policy_ForbidRepeatingCharactersCount")
            .max(0) as usize;
        let mut run = 0usize;
        let mut previous: Option<char> = None;
        let mut repeats = false;
        for c in password.chars() {
            run = if previous == Some(c) { run + 1 } else { 1 };
            previous = Some(c);
            if run > limit {
                repeats = true;
                break;
            }
        }
        if repeats {
            reasons.push((
                "error-password-policy-not-met-repeatingCharacters",
                "The password contains repeating characters which is against the password policy.",
            ));
        }
    }
    /// `(setting, character test, error, message)`.
    type CharacterRule = (&'static str, fn(char) -> bool, &'static str, &'static str);
    let checks: [CharacterRule; 4] = [
        (
            "Accounts_Password_Policy_AtLeastOneLowercase",
            |c| c.is_ascii_lowercase(),
            "error-password-policy-not-met-oneLowercase",
            "The password does not contain at least one lowercase character which is against the password policy.",
        ),
        (
            "Accounts_Password_Policy_AtLeastOneUppercase",
            |c| c.is_ascii_uppercase(),
            "error-password-policy-not-met-oneUppercase",
            "The password does not contain at least one uppercase character which is against the password policy.",
        ),
        (
            "Accounts_Password_Policy_AtLeastOneNumber",
            |c| c.is_ascii_digit(),
            "error-password-policy-not-met-oneNumber",
            "The password does not contain at least one numerical character which is against the password policy.",
        ),
        (
            "Accounts_Password_Policy_AtLeastOneSpecialCharacter",
            |c| !c.is_ascii_alphanumeric() && c != ' ',
            "error-password-policy-not-met-oneSpecial",
            "The password does not contain at least one special character which is against the password policy.",
        ),
    ];
    for (setting, test, error, message) in checks {
        if settings.bool(setting) && !password.chars().any(test) {
            reasons.push((error, message));
        }
    }
    if reasons.is_empty() {
        return Ok(());
    }
    let details: Vec<Value> = reasons
        .into_iter()
        .map(|(error, message)| json!({"error": error, "message": message}))
        .collect();
    Err(policy_error(Some(Value::Array(details))))
}

/// A random password that satisfies any password policy (`generatePassword`).
fn random_password() -> String {
    format!("{}aA1!", ids::random_secret())
}

/// `Accounts_CustomFields`: the configured custom fields, or `None` when there are none.
fn custom_field_defs(state: &AppState) -> Result<Option<Map<String, Value>>> {
    let text = state.settings.string("Accounts_CustomFields");
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(defs)) => Ok(Some(defs)),
        _ => Err(Error::failure(
            "error-invalid-customfield-json",
            "Invalid JSON for Custom Fields",
        )),
    }
}

/// `validateCustomFields`: required fields, select options and lengths, as configured.
pub fn validate_custom_fields(state: &AppState, fields: &Map<String, Value>) -> Result<()> {
    let Some(defs) = custom_field_defs(state)? else {
        return Ok(());
    };
    let invalid = |message: String| {
        Error::failure("error-user-registration-custom-field", message)
            .with_details(json!({"method": "registerUser"}))
    };
    for (name, def) in &defs {
        let raw = fields.get(name);
        let text = match raw {
            Some(Value::String(s)) => s.trim().to_owned(),
            None | Some(Value::Null) => String::new(),
            Some(other) => other.to_string(),
        };
        if def.get("required").and_then(Value::as_bool) == Some(true) && text.is_empty() {
            return Err(invalid(format!("Field {name} is required")));
        }
        if def.get("type").and_then(Value::as_str) == Some("select") {
            let options = def.get("options").and_then(Value::as_array);
            let allowed = options.is_some_and(|opts| raw.is_some_and(|v| opts.contains(v)));
            if !allowed {
                return Err(invalid(format!("Value for field {name} is invalid")));
            }
        }
        let length = text.chars().count() as u64;
        if let Some(max) = def.get("maxLength").and_then(Value::as_u64)
            && max > 0
            && length > max
        {
            return Err(invalid(format!("Max length of field {name} {max}")));
        }
        if let Some(min) = def.get("minLength").and_then(Value::as_u64)
            && min > 0
            && length < min
        {
            return Err(invalid(format!("Min length of field {name} {min}")));
        }
    }
    Ok(())
}

/// `saveCustomFieldsWithoutValidation`: the configured fields present in `fields` are
/// merged into the user's custom fields; anything else is dropped.
fn merge_custom_fields(
    state: &AppState,
    current: Option<&Value>,
    fields: &Map<String, Value>,
) -> Result<Option<Value>> {
    let Some(defs) = custom_field_defs(state)? else {
        return Ok(current.cloned());
    };
    let mut merged = match current {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let mut changed = false;
    for (key, value) in fields {
        if defs.contains_key(key) {
            merged.insert(key.clone(), value.clone());
            changed = true;
        }
    }
    if !changed {
        return Ok(current.cloned());
    }
    Ok(Some(Value::Object(merged)))
}

/// `saveCustomFields` for an existing user: the edit merged into what the user has, then
/// the result validated (so a partial edit does not trip over required fields it leaves
/// alone).
fn merged_custom_fields(
    state: &AppState,
    current: Option<&Value>,
    fields: &Map<String, Value>,
) -> Result<Option<Value>> {
    let merged = merge_custom_fields(state, current, fields)?;
    if let Some(Value::Object(all)) = &merged {
        validate_custom_fields(state, all)?;
    }
    Ok(merged)
}

/// The custom fields a viewer may see: the configured ones, only the `public` ones unless
/// the viewer may see everything.
fn visible_custom_fields(state: &AppState, user: &User, full: bool) -> Option<Value> {
    let defs = custom_field_defs(state).ok().flatten()?;
    let Some(Value::Object(values)) = &user.custom_fields else {
        return None;
    };
    let visible: Map<String, Value> = values
        .iter()
        .filter(|(key, _)| {
            defs.get(*key)
                .is_some_and(|def| full || def.get("public").and_then(Value::as_bool) == Some(true))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if visible.is_empty() {
        None
    } else {
        Some(Value::Object(visible))
    }
}

/// Keeps only `keys` of a document.
fn pick(doc: Value, keys: &[&str]) -> Map<String, Value> {
    match doc {
        Value::Object(map) => map
            .into_iter()
            .filter(|(key, _)| keys.contains(&key.as_str()))
            .collect(),
        _ => Map::new(),
    }
}

async fn has(state: &AppState, user: &User, permission: &str) -> Result<bool> {
    state.authz.has(&state.store, user, permission, None).await
}

/// The roles that exist (built-in and custom).
async fn known_roles(state: &AppState) -> Result<HashSet<String>> {
    Ok(state
        .store
        .roles()
        .await?
        .into_iter()
        .flat_map(|r| [r.id, r.name])
        .collect())
}

// -------------------------------------------------------------------------------------------
// Naming users in requests

/// How a request names a user: `userId`, or `username` (or the legacy `user`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSelector {
    Id(String),
    Username(String),
}

impl UserSelector {
    /// `isUserFromParams`: no selector, or one that names the caller.
    pub fn names(selector: Option<&UserSelector>, caller: &User) -> bool {
        match selector {
            None => true,
            Some(UserSelector::Id(id)) => *id == caller.id,
            Some(UserSelector::Username(name)) => *name == caller.username,
        }
    }
}

/// `getUserFromParams`.
pub async fn find_user(state: &AppState, selector: Option<&UserSelector>) -> Result<User> {
    let found = match selector {
        None => {
            return Err(Error::failure(
                "error-user-param-not-provided",
                "The required \"userId\" or \"username\" param was not provided",
            ));
        }
        Some(UserSelector::Id(id)) => state.store.user_by_id(id).await?,
        Some(UserSelector::Username(name)) => state.store.user_by_username(name).await?,
    };
    found.ok_or_else(|| {
        Error::failure(
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
        )
    })
}

// -------------------------------------------------------------------------------------------
// users.register

/// What `users.register` receives. `pass` is the plain-text password.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub pass: String,
    pub name: Option<String>,
    /// The `Accounts_RegistrationForm_SecretURL` secret (`secret`, or `secretURL`).
    pub secret: Option<String>,
    pub reason: Option<String>,
    pub custom_fields: Option<Map<String, Value>>,
}

/// Self-registration (`users.register`, the `registerUser` method).
pub async fn register(state: &AppState, caller: Option<&User>, reg: Registration) -> Result<User> {
    if caller.is_some() {
        return Err(Error::plain("Logged in users can not register again."));
    }
    if let Some(name) = &reg.name
        && !valid_name_chars(name)
    {
        return Err(name_contains_invalid_chars());
    }
    if !username_rule(state).is_valid(&reg.username) {
        return Err(Error::plain("The username provided is not valid"));
    }
    if is_blocked_username(state, &reg.username) {
        return Err(blocked_username(&reg.username));
    }
    if state.store.user_by_username(&reg.username).await?.is_some() {
        return Err(Error::plain("Username is already in use"));
    }
    if let Some(fields) = &reg.custom_fields {
        validate_custom_fields(state, fields)?;
    }
    let Some(name) = reg.name.clone() else {
        return Err(Error::plain("Match error: Missing key 'name'"));
    };
    match state.settings.string("Accounts_RegistrationForm").as_str() {
        "Disabled" => {
            return Err(Error::failure(
                "error-user-registration-disabled",
                "User registration is disabled",
            )
            .with_details(json!({"method": "registerUser"})));
        }
        "Secret URL" => {
            let expected = state.settings.string("Accounts_RegistrationForm_SecretURL");
            let given = reg.secret.as_deref().unwrap_or("");
            if given.is_empty() || expected.is_empty() || given != expected {
                return Err(Error::failure(
                    "error-user-registration-secret",
                    "User registration is only allowed via Secret URL",
                )
                .with_details(json!({"method": "registerUser"})));
            }
        }
        _ => {}
    }
    check_password_policy(state, &reg.pass)?;
    let email = reg.email.trim().to_lowercase();
    if !is_valid_email(&email) {
        return Err(invalid_email(&email));
    }
    if state.store.user_by_email(&email).await?.is_some() {
        return Err(Error::failure("403", "Email already exists."));
    }
    if settings_require_name(state) && name.trim().is_empty() {
        return Err(field_required("Name"));
    }
    let custom_fields = match &reg.custom_fields {
        Some(fields) => merge_custom_fields(state, None, fields)?,
        None => None,
    };
    create_user(
        state,
        NewUser {
            username: reg.username.clone(),
            name,
            email: Some(email),
            email_verified: false,
            password_digest: Some(client_digest(&reg.pass)),
            roles: default_roles(state),
            active: !state.settings.bool("Accounts_ManuallyApproveNewUsers"),
            user_type: "user".into(),
            join_default_channels: true,
            custom_fields,
            check_blocked_names: true,
            ..NewUser::default()
        },
    )
    .await
}

fn settings_require_name(state: &AppState) -> bool {
    state.settings.bool("Accounts_RequireNameForSignUp")
}

// -------------------------------------------------------------------------------------------
// users.create

/// What `users.create` receives. `password` is plain text.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password: String,
    pub username: String,
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    /// Defaults to true.
    pub join_default_channels: Option<bool>,
    pub require_password_change: Option<bool>,
    pub set_random_password: Option<bool>,
    pub verified: Option<bool>,
    pub custom_fields: Option<Map<String, Value>>,
    pub bio: Option<String>,
    pub nickname: Option<String>,
}

/// Checks the roles an actor wants to give someone (`validateUserData`), and that giving
/// anything but the default roles is allowed (`assign-roles`).
async fn check_roles_assignment(state: &AppState, actor: &User, roles: &[String]) -> Result<()> {
    let known = known_roles(state).await?;
    if roles.iter().any(|r| !known.contains(r)) {
        return Err(action_not_allowed(
            "The field Roles consist invalid role id",
            "Assign_role",
        ));
    }
    if roles.iter().any(|r| r == "admin") && !has(state, actor, "assign-admin-role").await? {
        return Err(action_not_allowed(
            "Assigning admin is not allowed",
            "Assign_admin",
        ));
    }
    Ok(())
}

fn check_bio_and_nickname(bio: Option<&str>, nickname: Option<&str>) -> Result<()> {
    if let Some(bio) = bio
        && bio.chars().count() > MAX_BIO_LENGTH
    {
        return Err(Error::failure(
            "error-bio-size-exceeded",
            format!("Bio size exceeds {MAX_BIO_LENGTH} characters"),
        )
        .with_details(json!({"method": "saveUserProfile"})));
    }
    if let Some(nickname) = nickname
        && nickname.chars().count() > MAX_NICKNAME_LENGTH
    {
        return Err(Error::failure(
            "error-nickname-size-exceeded",
            format!("Nickname size exceeds {MAX_NICKNAME_LENGTH} characters"),
        )
        .with_details(json!({"method": "saveUserProfile"})));
    }
    Ok(())
}

fn trimmed_or_none(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An administrator creates an account (`users.create`, `saveUser` without `_id`).
pub async fn create(
    state: &AppState,
    actor: &User,
    ip: Option<IpAddr>,
    new: NewAccount,
) -> Result<User> {
    if !valid_name_chars(&new.name) {
        return Err(name_contains_invalid_chars());
    }
    if let Some(fields) = &new.custom_fields {
        validate_custom_fields(state, fields)?;
    }
    if !has(state, actor, "create-user").await? {
        return Err(action_not_allowed(
            "Adding user is not allowed",
            "Adding_user",
        ));
    }
    let roles: Vec<String> = new.roles.clone().unwrap_or_default();
    check_roles_assignment(state, actor, &roles).await?;
    let defaults = default_roles(state);
    let differs = !roles.is_empty()
        && (roles.iter().any(|r| !defaults.contains(r))
            || defaults.iter().any(|r| !roles.contains(r)));
    if differs && !has(state, actor, "assign-roles").await? {
        return Err(action_not_allowed(
            "Assign roles is not allowed",
            "Assign_role",
        ));
    }
    if settings_require_name(state) && new.name.trim().is_empty() {
        return Err(field_required("Name"));
    }
    let username = new.username.trim().to_owned();
    if username.is_empty() {
        return Err(field_required("Username"));
    }
    let random = new.set_random_password == Some(true);
    if new.password.is_empty() && !random {
        return Err(field_required("Password"));
    }
    check_username(state, &username, None, true).await?;
    let email = new.email.trim().to_lowercase();
    check_email(state, &email, None).await?;
    check_bio_and_nickname(new.bio.as_deref(), new.nickname.as_deref())?;
    let (password, require_change) = if random {
        (random_password(), true)
    } else {
        (
            new.password.clone(),
            new.require_password_change.unwrap_or(false),
        )
    };
    let custom_fields = match &new.custom_fields {
        Some(fields) => merge_custom_fields(state, None, fields)?,
        None => None,
    };
    let mut user = create_user(
        state,
        NewUser {
            username,
            name: new.name.clone(),
            email: Some(email),
            email_verified: new.verified == Some(true),
            password_digest: Some(client_digest(&password)),
            roles,
            active: new.active.unwrap_or(true),
            user_type: "user".into(),
            join_default_channels: new.join_default_channels.unwrap_or(true),
            require_password_change: require_change,
            custom_fields,
            check_blocked_names: true,
            ..NewUser::default()
        },
    )
    .await?;
    let bio = trimmed_or_none(new.bio.as_deref());
    let nickname = trimmed_or_none(new.nickname.as_deref());
    if bio.is_some() || nickname.is_some() {
        user.bio = bio;
        user.nickname = nickname;
        state.store.update_user(&user).await?;
    }
    audit::record(
        state,
        actor,
        ip,
        "user.create",
        "user",
        &user.id,
        None,
        Some(audit::user_snapshot(&user)),
    )
    .await;
    Ok(user)
}

// -------------------------------------------------------------------------------------------
// users.info and users.list

/// Public fields of `getFullUserDataByIdOrUsernameOrImportId`.
const INFO_FIELDS: &[&str] = &[
    "_id",
    "name",
    "username",
    "nickname",
    "status",
    "utcOffset",
    "type",
    "active",
    "bio",
    "statusText",
    "avatarETag",
];

/// What callers with `view-full-other-user-info` (and the user themselves) also see.
const INFO_FULL_FIELDS: &[&str] = &[
    "emails",
    "statusConnection",
    "createdAt",
    "lastLogin",
    "requirePasswordChange",
    "roles",
];

/// `users.info`: a user by id or username, the private fields for themselves and for
/// callers with `view-full-other-user-info`, and their rooms when asked for and allowed.
pub async fn info(
    state: &AppState,
    caller: &User,
    selector: &UserSelector,
    include_rooms: bool,
) -> Result<Value> {
    let user = match selector {
        UserSelector::Id(id) => state.store.user_by_id(id).await?,
        UserSelector::Username(name) => state.store.user_by_username(name).await?,
    };
    let Some(user) = user else {
        return Err(Error::plain("User not found."));
    };
    let myself = user.id == caller.id;
    let full = myself || has(state, caller, "view-full-other-user-info").await?;
    let mut keys: Vec<&str> = INFO_FIELDS.to_vec();
    if full {
        keys.extend_from_slice(INFO_FULL_FIELDS);
    }
    let mut doc = pick(user.to_private(DateStyle::Iso), &keys);
    if let Some(custom) = visible_custom_fields(state, &user, full) {
        doc.insert("customFields".into(), custom);
    }
    if myself {
        let tokens: Vec<Value> = state
            .store
            .user_tokens(&user.id)
            .await?
            .into_iter()
            .map(|t| {
                let mut token = json!({
                    "when": DateStyle::Iso.date(t.created_at),
                    "hashedToken": t.hashed_token,
                });
                if t.kind == ferrochat_store::tokens::KIND_PERSONAL {
                    token["type"] = json!(t.kind);
                    token["name"] = json!(t.name);
                    token["lastTokenPart"] = json!(t.last_token_part);
                    token["bypassTwoFactor"] = json!(t.bypass_two_factor);
                }
                token
            })
            .collect();
        let mut services = json!({"resume": {"loginTokens": tokens}});
        if user.password_hash.is_some() {
            services["password"] = Value::Bool(true);
        }
        doc.insert("services".into(), services);
    }
    doc.insert("canViewAllInfo".into(), Value::Bool(full));
    if include_rooms && (myself || has(state, caller, "view-other-user-channels").await?) {
        let mut subs = state.store.subscriptions_of_user(&user.id, None).await?;
        subs.sort_by(|a, b| a.t.code().cmp(b.t.code()).then_with(|| a.name.cmp(&b.name)));
        let rooms: Vec<Value> = subs
            .iter()
            .map(|sub| {
                let mut room = json!({
                    "_id": sub.id,
                    "rid": sub.rid,
                    "name": sub.name,
                    "t": sub.t.code(),
                    "unread": sub.unread,
                });
                if !sub.roles.is_empty() {
                    room["roles"] = json!(sub.roles);
                }
                room
            })
            .collect();
        doc.insert("rooms".into(), Value::Array(rooms));
    }
    Ok(Value::Object(doc))
}

/// What `users.list` returns by default (`getNonEmptyFields`).
const LIST_FIELDS: &[&str] = &[
    "_id",
    "name",
    "username",
    "emails",
    "roles",
    "status",
    "active",
    "avatarETag",
    "lastLogin",
    "type",
];

/// What callers without `view-full-other-user-info` never see
/// (`defaultLimitedUserFieldsToExclude`).
const LIMITED_FIELDS: &[&str] = &[
    "emails",
    "statusConnection",
    "createdAt",
    "lastLogin",
    "requirePasswordChange",
    "roles",
    "statusDefault",
    "_updatedAt",
    "language",
];

/// `users.list`: a page of users matching the (restricted) query, projected.
pub async fn list(state: &AppState, caller: &User, paging: &Paging) -> Result<(Vec<Value>, i64)> {
    if !has(state, caller, "view-d-room").await? {
        return Err(Error::Forbidden);
    }
    if state
        .settings
        .bool("API_Apply_permission_view-outside-room_on_users-list")
        && !has(state, caller, "view-outside-room").await?
    {
        return Err(Error::ForbiddenWith("unauthorized".into()));
    }
    let full = has(state, caller, "view-full-other-user-info").await?;
    let fields = if full { FIELDS } else { PUBLIC_FIELDS };
    let filter = paging.filter(fields)?;
    let sort = paging.sort(fields)?;
    let (users, total) = state
        .store
        .list_users(&filter, &sort, paging.page())
        .await?;
    let mut keys: Vec<String> = LIST_FIELDS.iter().map(|k| (*k).to_owned()).collect();
    if let Some(requested) = paging.fields() {
        for (key, value) in requested {
            let include = value.as_i64() == Some(1) || value.as_bool() == Some(true);
            let top = key.split('.').next().unwrap_or(key).to_owned();
            if include && !keys.contains(&top) {
                keys.push(top);
            }
        }
    }
    let keys: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| full || !LIMITED_FIELDS.contains(k))
        .collect();
    let docs = users
        .iter()
        .map(|user| {
            let mut doc = pick(user.to_private(DateStyle::Iso), &keys);
            if keys.contains(&"customFields") {
                doc.remove("customFields");
                if let Some(custom) = visible_custom_fields(state, user, full) {
                    doc.insert("customFields".into(), custom);
                }
            }
            Value::Object(doc)
        })
        .collect();
    Ok((docs, total))
}

// -------------------------------------------------------------------------------------------
// Room ownership when a user goes away (`getSubscribedRoomsForUserWithDetails`)

/// What happens to one of the user's rooms when they are deleted or deactivated.
#[derive(Debug, Clone)]
struct RoomFate {
    rid: String,
    name: String,
    /// The user is its last owner and another active member takes over.
    new_owner: Option<(String, Vec<String>)>,
    /// Nobody is left to take over (or the user is its only member): it goes.
    remove: bool,
}

async fn room_fates(state: &AppState, user: &User) -> Result<Vec<RoomFate>> {
    let subs: Vec<_> = state
        .store
        .subscriptions_of_user(&user.id, None)
        .await?
        .into_iter()
        .filter(|s| s.t != RoomType::Direct)
        .collect();
    let rids: Vec<String> = subs.iter().map(|s| s.rid.clone()).collect();
    let member_counts: std::collections::HashMap<String, i64> = state
        .store
        .rooms_by_ids(&rids)
        .await?
        .into_iter()
        .map(|r| (r.id, r.users_count))
        .collect();
    let mut fates = Vec::new();
    for sub in &subs {
        let name = sub.fname.clone().unwrap_or_else(|| sub.name.clone());
        let mut fate = RoomFate {
            rid: sub.rid.clone(),
            name,
            new_owner: None,
            remove: false,
        };
        if sub.roles.iter().any(|r| r == "owner") {
            // Only rooms the user owns need their members looked at.
            let members = state.store.subscriptions_of_room(&sub.rid).await?;
            let owners = members
                .iter()
                .filter(|m| m.roles.iter().any(|r| r == "owner"))
                .count();
            if owners == 1 {
                let others: Vec<String> = members
                    .iter()
                    .filter(|m| m.user.id != user.id)
                    .map(|m| m.user.id.clone())
                    .collect();
                let active: HashSet<String> = state
                    .store
                    .users_by_ids(&others)
                    .await?
                    .into_iter()
                    .filter(|u| u.active)
                    .map(|u| u.id)
                    .collect();
                // The longest-standing active member takes over.
                fate.new_owner = members
                    .iter()
                    .find(|m| m.user.id != user.id && active.contains(&m.user.id))
                    .map(|m| (m.user.id.clone(), m.roles.clone()));
                fate.remove = fate.new_owner.is_none();
            }
        } else {
            fate.remove = member_counts.get(&sub.rid).copied().unwrap_or(1) <= 1;
        }
        fates.push(fate);
    }
    Ok(fates)
}

/// `user-last-owner`, with the names of the rooms that would change hands or go.
fn check_relinquish(fates: &[RoomFate], confirm: bool) -> Result<()> {
    let removed: Vec<&str> = fates
        .iter()
        .filter(|f| f.remove)
        .map(|f| f.name.as_str())
        .collect();
    let changed: Vec<&str> = fates
        .iter()
        .filter(|f| f.new_owner.is_some())
        .map(|f| f.name.as_str())
        .collect();
    if confirm || (removed.is_empty() && changed.is_empty()) {
        return Ok(());
    }
    Err(Error::Failure {
        code: "user-last-owner".into(),
        reason: None,
        details: Some(json!({"shouldBeRemoved": removed, "shouldChangeOwner": changed})),
    })
}

/// `relinquishRoomOwnerships`: hands rooms over, removes the orphaned ones (and, when the
/// user is deleted, their one-to-one conversations).
async fn relinquish(
    state: &AppState,
    user: &User,
    fates: &[RoomFate],
    remove_direct: bool,
) -> Result<()> {
    let now = now_ms();
    for fate in fates {
        if let Some((owner, roles)) = &fate.new_owner {
            let mut roles = roles.clone();
            roles.push("owner".into());
            let patch = ferrochat_store::subscriptions::SubscriptionPatch {
                roles: Some(roles),
                ..Default::default()
            };
            state
                .store
                .update_subscription(&fate.rid, owner, &patch, now)
                .await?;
            events::subscription_updated(state, &fate.rid, owner).await;
        }
        if fate.remove {
            let subs = events::subscriptions_of(state, &fate.rid).await;
            let room = state.store.room_by_id(&fate.rid).await?;
            state.store.delete_room(&fate.rid, now).await?;
            if let Some(room) = &room {
                events::room_deleted(state, room, &subs);
            }
        }
    }
    if remove_direct {
        let (direct, _) = state
            .store
            .rooms_of_user(
                &user.id,
                &[RoomType::Direct],
                &Filter::default(),
                &Sort::default(),
                Page {
                    offset: 0,
                    count: None,
                },
            )
            .await?;
        for room in direct.iter().filter(|r| r.uids.len() <= 2) {
            let subs = events::subscriptions_of(state, &room.id).await;
            state.store.delete_room(&room.id, now).await?;
            events::room_deleted(state, room, &subs);
        }
    }
    Ok(())
}

// -------------------------------------------------------------------------------------------
// users.update and users.updateOwnBasicInfo

/// The `data` of `users.update`. `password` is plain text.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub username: Option<String>,
    pub active: Option<bool>,
    pub roles: Option<Vec<String>>,
    pub require_password_change: Option<bool>,
    pub set_random_password: Option<bool>,
    pub verified: Option<bool>,
    pub custom_fields: Option<Map<String, Value>>,
    pub status_text: Option<String>,
    pub bio: Option<String>,
    pub nickname: Option<String>,
}

/// Applies a new username / name to `user`, as `saveUserIdentity` would; the caller saves
/// and then calls [`propagate_identity`].
async fn apply_identity(
    state: &AppState,
    user: &mut User,
    username: Option<&str>,
    name: Option<&str>,
) -> Result<()> {
    if let Some(username) = username.map(str::trim)
        && username != user.username
    {
        if username.is_empty()
            || is_blocked_username(state, username)
            || !username_rule(state).is_valid(username)
        {
            return Err(could_not_save_identity());
        }
        if !username.eq_ignore_ascii_case(&user.username)
            && state.store.user_by_username(username).await?.is_some()
        {
            return Err(could_not_save_identity());
        }
        user.username = username.to_owned();
    }
    if let Some(name) = name.map(str::trim)
        && name != user.name
    {
        if name.is_empty() && settings_require_name(state) {
            return Err(could_not_save_identity());
        }
        user.name = name.to_owned();
    }
    Ok(())
}

/// Keeps memberships, DM names and message authors in step with a rename.
async fn propagate_identity(state: &AppState, before: &User, after: &User) -> Result<()> {
    if before.username != after.username || before.name != after.name {
        let now = now_ms();
        state
            .store
            .rename_user_everywhere(
                &after.id,
                &before.username,
                &after.username,
                &after.name,
                now,
            )
            .await?;
        state
            .store
            .rename_user_in_rooms(&after.id, &before.username, &after.username, now)
            .await?;
    }
    Ok(())
}

/// Stores an edited user; a username taken meanwhile reads as the identity error.
async fn save_user(state: &AppState, user: &User) -> Result<()> {
    state.store.update_user(user).await.map_err(|e| match e {
        ferrochat_store::StoreError::Duplicate(what) if what.contains("email") => Error::failure(
            "error-field-unavailable",
            format!(
                "{} is already in use :(",
                user.email.clone().unwrap_or_default()
            ),
        ),
        ferrochat_store::StoreError::Duplicate(_) => could_not_save_identity(),
        other => other.into(),
    })
}

/// Checks a new e-mail address (`setEmail`) unless it is the current one.
async fn check_new_email(state: &AppState, user: &User, email: &str) -> Result<bool> {
    if user
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(email))
    {
        return Ok(false);
    }
    check_email(state, email, Some(&user.id)).await?;
    Ok(true)
}

/// `setStatusText`: trimmed, at most 120 characters.
pub fn clean_status_text(text: &str) -> String {
    text.trim().chars().take(MAX_STATUS_TEXT_LENGTH).collect()
}

/// What a (de)activation will do, decided before anything is written.
struct ActivePlan {
    active: bool,
    fates: Vec<RoomFate>,
}

/// `setUserActiveStatus`, the checks: the last active administrator stays, and the
/// user's rooms need a new owner (or `confirm`).
async fn plan_active_change(
    state: &AppState,
    user: &User,
    active: bool,
    confirm: bool,
) -> Result<ActivePlan> {
    let mut fates = Vec::new();
    if !active {
        if user.active && user.has_role("admin") && count_admins(state, true).await? <= 1 {
            return Err(Error::failure(
                "error-action-not-allowed",
                "Leaving the app without an active admin is not allowed",
            )
            .with_details(json!({"method": "removeUserFromRole", "action": "Remove_last_admin"})));
        }
        fates = room_fates(state, user).await?;
        check_relinquish(&fates, confirm)?;
    }
    Ok(ActivePlan { active, fates })
}

/// Applies a planned (de)activation. Deactivation hands the user's rooms over and logs
/// them out everywhere (personal access tokens included, as `unsetLoginTokens` does).
async fn apply_active_change(state: &AppState, user: &mut User, plan: ActivePlan) -> Result<()> {
    if !plan.active {
        relinquish(state, user, &plan.fates, false).await?;
    }
    user.active = plan.active;
    user.updated_at = now_ms();
    state.store.update_user(user).await?;
    if !plan.active {
        state.store.delete_user_tokens(&user.id, true).await?;
        events::force_logout(state, &user.id);
    }
    Ok(())
}

async fn count_admins(state: &AppState, active_only: bool) -> Result<usize> {
    let (admins, _) = state
        .store
        .users_in_role(
            "admin",
            Page {
                offset: 0,
                count: None,
            },
        )
        .await?;
    Ok(admins.iter().filter(|u| !active_only || u.active).count())
}

/// `users.update` (`saveUser` with `_id`, then `setUserActiveStatus`). Returns the
/// updated user.
pub async fn update(
    state: &AppState,
    actor: &User,
    ip: Option<IpAddr>,
    user_id: &str,
    data: UserUpdate,
    confirm_relinquish: bool,
) -> Result<Value> {
    if let Some(name) = &data.name
        && !valid_name_chars(name)
    {
        return Err(name_contains_invalid_chars());
    }
    let editing_self = actor.id == user_id;
    // validateUserData
    if data.verified == Some(true) && editing_self {
        return Err(action_not_allowed(
            "Editing email verification is not allowed",
            "Editing_user",
        ));
    }
    let can_edit_info = has(state, actor, "edit-other-user-info").await?;
    let can_edit_password = has(state, actor, "edit-other-user-password").await?;
    if !editing_self && !can_edit_info {
        return Err(action_not_allowed(
            "Editing user is not allowed",
            "Editing_user",
        ));
    }
    if let Some(roles) = &data.roles {
        check_roles_assignment(state, actor, roles).await?;
    }
    if let Some(username) = &data.username
        && !username.is_empty()
        && !username_rule(state).is_valid(username)
    {
        return Err(Error::failure(
            "error-input-is-not-a-valid-field",
            format!("{username} is not a valid username"),
        )
        .with_details(
            json!({"method": "insertOrUpdateUser", "input": username, "field": "Username"}),
        ));
    }
    let Some(before) = state.store.user_by_id(user_id).await? else {
        return Err(Error::failure("error-invalid-user", "Invalid user"));
    };
    // validateUserEditing
    if let Some(roles) = &data.roles {
        let changed = roles.iter().any(|r| !before.roles.contains(r))
            || before.roles.iter().any(|r| !roles.contains(r));
        if changed && !has(state, actor, "assign-roles").await? {
            return Err(action_not_allowed(
                "Assign roles is not allowed",
                "Assign_role",
            ));
        }
    }
    let settings = &state.settings;
    let update_denied = |reason: &str| {
        Error::failure("error-action-not-allowed", reason)
            .with_details(json!({"method": "insertOrUpdateUser", "action": "Update_user"}))
    };
    if !settings.bool("Accounts_AllowUserProfileChange") && !can_edit_info && !can_edit_password {
        return Err(update_denied("Edit user profile is not allowed"));
    }
    let other_info_blocked = !can_edit_info || editing_self;
    let editing = |new: Option<&String>, old: &str| new.is_some_and(|n| n != old);
    if editing(data.username.as_ref(), &before.username)
        && !settings.bool("Accounts_AllowUsernameChange")
        && other_info_blocked
    {
        return Err(update_denied("Edit username is not allowed"));
    }
    if editing(data.status_text.as_ref(), &before.status_text)
        && !settings.bool("Accounts_AllowUserStatusMessageChange")
        && other_info_blocked
    {
        return Err(update_denied("Edit user status is not allowed"));
    }
    if editing(data.name.as_ref(), &before.name)
        && !settings.bool("Accounts_AllowRealNameChange")
        && other_info_blocked
    {
        return Err(update_denied("Edit user real name is not allowed"));
    }
    if before.email.is_some()
        && editing(data.email.as_ref(), before.email.as_deref().unwrap_or(""))
        && !settings.bool("Accounts_AllowEmailChange")
        && other_info_blocked
    {
        return Err(update_denied("Edit user email is not allowed"));
    }
    if data.password.as_deref().is_some_and(|p| !p.is_empty())
        && !settings.bool("Accounts_AllowPasswordChange")
        && (!can_edit_password || editing_self)
    {
        return Err(update_denied("Edit user password is not allowed"));
    }
    // The edits themselves, still without writing.
    let mut user = before.clone();
    apply_identity(
        state,
        &mut user,
        data.username.as_deref(),
        data.name.as_deref(),
    )
    .await?;
    if let Some(text) = &data.status_text {
        user.status_text = clean_status_text(text);
    }
    if let Some(email) = &data.email
        && !email.is_empty()
    {
        let email = email.trim().to_lowercase();
        if check_new_email(state, &user, &email).await? {
            user.email = Some(email);
            user.email_verified = data.verified == Some(true);
        } else if let Some(verified) = data.verified {
            user.email_verified = verified;
        }
    } else if let Some(verified) = data.verified
        && user.email.is_some()
    {
        user.email_verified = verified;
    }
    let mut password = data.password.clone().filter(|p| !p.trim().is_empty());
    if data.set_random_password == Some(true) {
        password = Some(random_password());
        user.require_password_change = true;
    }
    let mut password_changed = false;
    if let Some(plain) = &password
        && can_edit_password
    {
        password_changed = true;
        check_password_policy(state, plain.trim())?;
        user.password_hash = Some(state.passwords.hash(&client_digest(plain.trim())).await?);
    }
    check_bio_and_nickname(data.bio.as_deref(), data.nickname.as_deref())?;
    if let Some(bio) = &data.bio {
        user.bio = trimmed_or_none(Some(bio)).map(|_| bio.clone());
    }
    if let Some(nickname) = &data.nickname {
        user.nickname = trimmed_or_none(Some(nickname)).map(|_| nickname.clone());
    }
    if let Some(roles) = &data.roles {
        user.roles = roles.clone();
    }
    if let Some(require) = data.require_password_change
        && data.set_random_password != Some(true)
    {
        user.require_password_change = require;
    }
    if let Some(fields) = &data.custom_fields {
        user.custom_fields = merged_custom_fields(state, user.custom_fields.as_ref(), fields)?;
    }
    let plan = match data.active {
        Some(active) => {
            if !state
                .authz
                .has_any(
                    &state.store,
                    actor,
                    &["edit-other-user-active-status", "manage-moderation-actions"],
                    None,
                )
                .await?
            {
                return Err(Error::failure("error-not-allowed", "Not allowed")
                    .with_details(json!({"method": "setUserActiveStatus"})));
            }
            if active != before.active {
                Some(plan_active_change(state, &before, active, confirm_relinquish).await?)
            } else {
                None
            }
        }
        None => None,
    };
    // Everything checked: write.
    user.updated_at = now_ms();
    save_user(state, &user).await?;
    propagate_identity(state, &before, &user).await?;
    if let Some(plan) = plan {
        apply_active_change(state, &mut user, plan).await?;
    }
    if user.status_text != before.status_text {
        let choice = crate::realtime::presence::Choice {
            keep_when_offline: true,
            announce: true,
            ..Default::default()
        };
        state.presence.choose(&user.id, choice).await?;
    }
    if !editing_self {
        let mut after = audit::user_snapshot(&user);
        if password_changed {
            after["passwordChanged"] = Value::Bool(true);
        }
        audit::record(
            state,
            actor,
            ip,
            "user.update",
            "user",
            &user.id,
            Some(audit::user_snapshot(&before)),
            Some(after),
        )
        .await;
    }
    events::user_updated(state, &before).await;
    Ok(user.to_private(DateStyle::Iso))
}

/// The `data` of `users.updateOwnBasicInfo`. `current_password` is the SHA-256 hex digest
/// of the current password; `new_password` is plain text.
#[derive(Debug, Clone, Default)]
pub struct OwnBasicInfo {
    pub email: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub nickname: Option<String>,
    pub bio: Option<String>,
    pub status_text: Option<String>,
    pub status_type: Option<String>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// `users.updateOwnBasicInfo` (`saveUserProfile`). Changing the e-mail address or the
/// password needs the current password (or another second factor).
pub async fn update_own_basic_info(
    state: &AppState,
    caller: &User,
    caller_token: &str,
    data: OwnBasicInfo,
    custom_fields: Option<Map<String, Value>>,
    header_factor: &crate::services::access_tokens::SecondFactor,
) -> Result<Value> {
    if let Some(name) = &data.name
        && !name.is_empty()
        && !valid_name_chars(name)
    {
        return Err(name_contains_invalid_chars());
    }
    let email = data.email.clone().filter(|e| !e.is_empty());
    let new_password = data.new_password.clone().filter(|p| !p.is_empty());
    if email.is_some() || new_password.is_some() {
        let factor = match &data.current_password {
            Some(code) if !code.is_empty() => crate::services::access_tokens::SecondFactor {
                code: Some(code.clone()),
                method: Some("password".into()),
            },
            _ => header_factor.clone(),
        };
        crate::services::access_tokens::check_two_factor(
            state,
            caller,
            Some(caller_token),
            &factor,
            true,
        )
        .await?;
    }
    let settings = &state.settings;
    if !settings.bool("Accounts_AllowUserProfileChange") {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "saveUserProfile"})));
    }
    let Some(before) = state.store.user_by_id(&caller.id).await? else {
        return Err(Error::failure("error-invalid-user", "Invalid user")
            .with_details(json!({"method": "saveUserProfile"})));
    };
    let update_denied = |reason: &str| {
        Error::failure("error-action-not-allowed", reason)
            .with_details(json!({"method": "insertOrUpdateUser", "action": "Update_user"}))
    };
    let editing = |new: Option<&String>, old: &str| new.is_some_and(|n| n != old);
    if editing(data.username.as_ref(), &before.username)
        && !settings.bool("Accounts_AllowUsernameChange")
    {
        return Err(update_denied("Edit username is not allowed"));
    }
    if editing(data.status_text.as_ref(), &before.status_text)
        && !settings.bool("Accounts_AllowUserStatusMessageChange")
    {
        return Err(update_denied("Edit user status is not allowed"));
    }
    if editing(data.name.as_ref(), &before.name) && !settings.bool("Accounts_AllowRealNameChange") {
        return Err(update_denied("Edit user real name is not allowed"));
    }
    if before.email.is_some()
        && editing(email.as_ref(), before.email.as_deref().unwrap_or(""))
        && !settings.bool("Accounts_AllowEmailChange")
    {
        return Err(update_denied("Edit user email is not allowed"));
    }
    if new_password.is_some() && !settings.bool("Accounts_AllowPasswordChange") {
        return Err(update_denied("Edit user password is not allowed"));
    }
    let mut user = before.clone();
    let name = data.name.as_deref().filter(|n| !n.is_empty());
    let username = data.username.as_deref().filter(|u| !u.is_empty());
    if name.is_some() || username.is_some() {
        apply_identity(state, &mut user, username, name).await?;
    }
    if let Some(text) = &data.status_text {
        user.status_text = clean_status_text(text);
    }
    if let Some(status) = data.status_type.as_deref().filter(|s| !s.is_empty()) {
        if !USER_STATUSES.contains(&status) {
            return Err(invalid_status());
        }
        user.status = status.to_owned();
        user.status_default = status.to_owned();
    }
    check_bio_and_nickname(data.bio.as_deref(), data.nickname.as_deref())?;
    if let Some(bio) = &data.bio {
        user.bio = trimmed_or_none(Some(bio));
    }
    if let Some(nickname) = data.nickname.as_deref().filter(|n| !n.is_empty()) {
        user.nickname = trimmed_or_none(Some(nickname));
    }
    if let Some(email) = &email {
        let email = email.trim().to_lowercase();
        if check_new_email(state, &user, &email).await? {
            user.email = Some(email);
            user.email_verified = false;
        }
    }
    let mut password_changed = false;
    if let (Some(plain), Some(stored)) = (&new_password, &before.password_hash) {
        let digest = client_digest(plain);
        if state.passwords.verify(&digest, stored).await? != Verified::No {
            return Err(Error::failure(
                "error-password-same-as-current",
                "Entered password same as current password",
            )
            .with_details(json!({"method": "saveUserProfile"})));
        }
        check_password_policy(state, plain)?;
        user.password_hash = Some(state.passwords.hash(&digest).await?);
        user.require_password_change = false;
        password_changed = true;
    }
    if let Some(fields) = custom_fields.as_ref().filter(|f| !f.is_empty()) {
        user.custom_fields = merged_custom_fields(state, user.custom_fields.as_ref(), fields)?;
    }
    user.updated_at = now_ms();
    save_user(state, &user).await?;
    propagate_identity(state, &before, &user).await?;
    if password_changed {
        // A new password logs the other sessions out.
        state
            .store
            .delete_other_session_tokens(&user.id, caller_token)
            .await?;
        events::force_logout(state, &user.id);
    }
    if user.status_default != before.status_default || user.status_text != before.status_text {
        // `status` is presence's: it follows the new choice and announces it.
        let choice = crate::realtime::presence::Choice {
            status_default: data.status_type.clone().filter(|s| !s.is_empty()),
            status_text: None,
            keep_when_offline: true,
            announce: user.status_text != before.status_text,
        };
        state.presence.choose(&user.id, choice).await?;
    }
    events::user_updated(state, &before).await;
    Ok(user.to_private(DateStyle::Iso))
}

// -------------------------------------------------------------------------------------------
// users.delete, users.deleteOwnAccount, users.setActiveStatus

/// `Message_ErasureType`: what happens to a deleted user's messages.
async fn message_erasure(state: &AppState) -> Result<MessageErasure> {
    Ok(
        match state.settings.string("Message_ErasureType").as_str() {
            "Keep" => MessageErasure::Keep,
            "Unlink" => match state.store.user_by_id("rocket.cat").await? {
                Some(cat) => MessageErasure::Unlink {
                    user_id: cat.id,
                    username: cat.username,
                    alias: "Removed User".into(),
                },
                None => MessageErasure::Keep,
            },
            _ => MessageErasure::Delete,
        },
    )
}

/// `deleteUser`: the checks, the hand-over of the user's rooms, then the deletion.
async fn delete_account(state: &AppState, user: &User, confirm_relinquish: bool) -> Result<()> {
    if user.id == "rocket.cat" {
        return Err(Error::failure(
            "error-action-not-allowed",
            "Deleting the rocket.cat user is not allowed",
        )
        .with_details(json!({"method": "deleteUser", "action": "Delete_user"})));
    }
    if user.user_type == "app" {
        return Err(Error::failure(
            "error-cannot-delete-app-user",
            "Deleting app user is not allowed",
        )
        .with_details(json!({"method": "deleteUser"})));
    }
    if user.has_role("admin") && count_admins(state, false).await? <= 1 {
        return Err(Error::failure(
            "error-action-not-allowed",
            "Leaving the app without admins is not allowed",
        )
        .with_details(json!({"method": "deleteUser", "action": "Remove_last_admin"})));
    }
    let fates = room_fates(state, user).await?;
    check_relinquish(&fates, confirm_relinquish)?;
    let erasure = message_erasure(state).await?;
    relinquish(state, user, &fates, true).await?;
    state
        .store
        .delete_user_erasing(&user.id, &erasure, now_ms())
        .await?;
    events::user_deleted(state, user, &state.settings.string("Message_ErasureType"));
    Ok(())
}

/// `users.delete`.
pub async fn delete(
    state: &AppState,
    actor: &User,
    ip: Option<IpAddr>,
    selector: Option<&UserSelector>,
    confirm_relinquish: bool,
) -> Result<()> {
    state
        .authz
        .require(&state.store, actor, "delete-user", None)
        .await?;
    let user = find_user(state, selector).await?;
    delete_account(state, &user, confirm_relinquish).await?;
    audit::record(
        state,
        actor,
        ip,
        "user.delete",
        "user",
        &user.id,
        Some(audit::user_snapshot(&user)),
        None,
    )
    .await;
    Ok(())
}

/// `users.deleteOwnAccount`. `password` is the SHA-256 hex digest of the password (for
/// accounts without a password: of the username).
pub async fn delete_own_account(
    state: &AppState,
    caller: &User,
    password: &str,
    confirm_relinquish: bool,
) -> Result<()> {
    if !state.settings.bool("Accounts_AllowDeleteOwnAccount") {
        return Err(Error::failure("error-not-allowed", "Not allowed"));
    }
    let Some(user) = state.store.user_by_id(&caller.id).await? else {
        return Err(Error::failure("error-invalid-user", "Invalid user")
            .with_details(json!({"method": "deleteUserOwnAccount"})));
    };
    match &user.password_hash {
        Some(stored) => {
            let digest = password.trim().to_ascii_lowercase();
            let ok = ferrochat_model::password::is_digest(&digest)
                && state.passwords.verify(&digest, stored).await? != Verified::No;
            if !ok {
                return Err(Error::failure("error-invalid-password", "Invalid password")
                    .with_details(json!({"method": "deleteUserOwnAccount"})));
            }
        }
        None => {
            if !client_digest(&user.username).eq_ignore_ascii_case(password.trim()) {
                return Err(Error::failure("error-invalid-username", "Invalid username")
                    .with_details(json!({"method": "deleteUserOwnAccount"})));
            }
        }
    }
    delete_account(state, &user, confirm_relinquish).await
}

/// `users.setActiveStatus`. Returns `{_id, active}`.
pub async fn set_active_status(
    state: &AppState,
    actor: &User,
    ip: Option<IpAddr>,
    user_id: &str,
    active: bool,
    confirm_relinquish: bool,
) -> Result<Value> {
    if !state
        .authz
        .has_any(
            &state.store,
            actor,
            &["edit-other-user-active-status", "manage-moderation-actions"],
            None,
        )
        .await?
    {
        return Err(Error::Forbidden);
    }
    let Some(mut user) = state.store.user_by_id(user_id).await? else {
        return Err(Error::plain("User not found"));
    };
    if user.active != active || !active {
        let was_active = user.active;
        let plan = plan_active_change(state, &user, active, confirm_relinquish).await?;
        apply_active_change(state, &mut user, plan).await?;
        audit::record(
            state,
            actor,
            ip,
            if active {
                "user.activate"
            } else {
                "user.deactivate"
            },
            "user",
            &user.id,
            Some(json!({"username": user.username, "active": was_active})),
            Some(json!({"username": user.username, "active": user.active})),
        )
        .await;
    }
    Ok(json!({"_id": user.id, "active": user.active}))
}

// -------------------------------------------------------------------------------------------
// Status and presence

fn invalid_status() -> Error {
    Error::failure(
        "error-invalid-status",
        "Valid status types include online, away, offline, and busy.",
    )
    .with_details(json!({"method": "users.setStatus"}))
}

/// `users.setStatus`: the status message and/or the status of the caller, or of another
/// user for callers with `edit-other-user-info`.
pub async fn set_status(
    state: &AppState,
    caller: &User,
    target: Option<&UserSelector>,
    status: Option<&str>,
    message: Option<&str>,
) -> Result<()> {
    if !state.settings.bool("Accounts_AllowUserStatusMessageChange") {
        return Err(
            Error::failure("error-not-allowed", "Change status is not allowed")
                .with_details(json!({"method": "users.setStatus"})),
        );
    }
    let user = if UserSelector::names(target, caller) {
        state
            .store
            .user_by_id(&caller.id)
            .await?
            .ok_or_else(|| Error::failure("error-invalid-user", "Invalid user"))?
    } else if has(state, caller, "edit-other-user-info").await? {
        find_user(state, target).await?
    } else {
        return Err(Error::ForbiddenWith("unauthorized".into()));
    };
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        if !USER_STATUSES.contains(&status) {
            return Err(invalid_status());
        }
        if status == "offline" && !state.settings.bool("Accounts_AllowInvisibleStatusOption") {
            return Err(
                Error::failure("error-status-not-allowed", "Invisible status is disabled")
                    .with_details(json!({"method": "users.setStatus"})),
            );
        }
    }
    // Through presence, which owns `status`: without connections the chosen status is
    // stored as is (as Rocket.Chat's REST does); with some, it combines with theirs.
    let choice = crate::realtime::presence::Choice {
        status_default: status.filter(|s| !s.is_empty()).map(str::to_owned),
        status_text: message.map(clean_status_text),
        keep_when_offline: true,
        announce: false,
    };
    state.presence.choose(&user.id, choice).await?;
    Ok(())
}

/// `users.getStatus`: `{_id, connectionStatus, status}` for the caller, `{_id, status}`
/// for others.
pub async fn get_status(
    state: &AppState,
    caller: &User,
    target: Option<&UserSelector>,
) -> Result<Value> {
    if UserSelector::names(target, caller) {
        let user = state
            .store
            .user_by_id(&caller.id)
            .await?
            .unwrap_or_else(|| caller.clone());
        return Ok(json!({
            "_id": user.id,
            "connectionStatus": non_empty_or(&user.status_connection, "offline"),
            "status": non_empty_or(&user.status, "offline"),
        }));
    }
    let user = find_user(state, target).await?;
    Ok(json!({"_id": user.id, "status": non_empty_or(&user.status, "offline")}))
}

/// `users.getPresence`.
pub async fn get_presence(
    state: &AppState,
    caller: &User,
    target: Option<&UserSelector>,
) -> Result<Value> {
    if UserSelector::names(target, caller) {
        let user = state
            .store
            .user_by_id(&caller.id)
            .await?
            .unwrap_or_else(|| caller.clone());
        let mut out = json!({
            "presence": non_empty_or(&user.status, "offline"),
            "connectionStatus": non_empty_or(&user.status_connection, "offline"),
        });
        if let Some(last) = user.last_login {
            out["lastLogin"] = DateStyle::Iso.date(last);
        }
        return Ok(out);
    }
    let user = find_user(state, target).await?;
    Ok(json!({"presence": non_empty_or(&user.status, "offline")}))
}

fn non_empty_or<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}

/// A user as `users.presence` lists them.
fn presence_item(user: &User) -> Value {
    let mut item = json!({
        "_id": user.id,
        "username": user.username,
        "name": user.name,
        "status": user.status,
        "utcOffset": user.utc_offset,
    });
    if !user.status_text.is_empty() {
        item["statusText"] = json!(user.status_text);
    }
    if let Some(etag) = &user.avatar_etag {
        item["avatarETag"] = json!(etag);
    }
    item
}

/// `users.presence`: who is not offline (among `ids`), or who changed since `from` when
/// that is less than ten minutes ago. Returns `(users, full)`.
pub async fn presence(
    state: &AppState,
    caller: &User,
    from: Option<&str>,
    ids: Option<&[String]>,
) -> Result<(Vec<Value>, bool)> {
    if state.settings.bool("Presence_broadcast_disabled") {
        return Ok((Vec::new(), true));
    }
    if let Some(ids) = ids {
        let users = state.store.users_not_offline(Some(ids)).await?;
        return Ok((users.iter().map(presence_item).collect(), false));
    }
    if let Some(since) = from.and_then(parse_iso)
        && now_ms() - since < 10 * 60 * 1000
    {
        let users = state.store.users_updated_since(&caller.id, since).await?;
        return Ok((users.iter().map(presence_item).collect(), false));
    }
    let users = state.store.users_not_offline(None).await?;
    Ok((users.iter().map(presence_item).collect(), true))
}

// -------------------------------------------------------------------------------------------
// Preferences

/// The type a preference value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrefKind {
    Bool,
    Number,
    Text,
    TextList,
    ObjectList,
}

/// Preferences that are not `Accounts_Default_User_Preferences_*` settings but that
/// Rocket.Chat's clients save (`UsersSetPreferencesParamsPOST`).
const EXTRA_PREFERENCES: &[(&str, PrefKind)] = &[
    ("language", PrefKind::Text),
    ("clockMode", PrefKind::Number),
    ("highlights", PrefKind::TextList),
    ("dontAskAgainList", PrefKind::ObjectList),
    ("featuresPreview", PrefKind::ObjectList),
    ("fontSize", PrefKind::Text),
    ("receiveLoginDetectionEmail", PrefKind::Bool),
    ("notifyCalendarEvents", PrefKind::Bool),
    ("idleTimeLimitH", PrefKind::Number),
    ("idleTimeLimitM", PrefKind::Number),
    ("idleTimeLimitS", PrefKind::Number),
    ("enableMobileRinging", PrefKind::Bool),
    ("mentionsWithSymbol", PrefKind::Bool),
    ("omnichannelTranscriptEmail", PrefKind::Bool),
    ("omnichannelTranscriptPDF", PrefKind::Bool),
    ("omnichannelHideConversationAfterClosing", PrefKind::Bool),
];

fn preference_kind(state: &AppState, key: &str) -> Option<PrefKind> {
    use crate::registry::settings::SettingKind;
    if let Some(setting) = state
        .settings
        .get(&format!("Accounts_Default_User_Preferences_{key}"))
    {
        return Some(match setting.def.kind {
            SettingKind::Boolean => PrefKind::Bool,
            SettingKind::Int => PrefKind::Number,
            SettingKind::MultiSelect => PrefKind::TextList,
            _ => PrefKind::Text,
        });
    }
    EXTRA_PREFERENCES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, kind)| *kind)
}

/// Checks preference keys and value types, with ajv's messages.
fn validate_preferences(state: &AppState, data: &Map<String, Value>) -> Result<()> {
    let invalid = |message: String| Error::InvalidParams {
        message,
        in_query: false,
    };
    for (key, value) in data {
        let Some(kind) = preference_kind(state, key) else {
            return Err(invalid("must NOT have additional properties".into()));
        };
        if value.is_null() {
            continue;
        }
        let (ok, expected) = match kind {
            PrefKind::Bool => (value.is_boolean(), "boolean"),
            PrefKind::Number => (value.is_number(), "number"),
            PrefKind::Text => (value.is_string(), "string"),
            PrefKind::TextList => (
                value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string)),
                "array of strings",
            ),
            PrefKind::ObjectList => (
                value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_object)),
                "array of objects",
            ),
        };
        if !ok {
            return Err(invalid(format!("'data.{key}' must be {expected}")));
        }
        if key == "alsoSendThreadToChannel"
            && !matches!(value.as_str(), Some("default" | "always" | "never"))
        {
            return Err(invalid(
                "'data.alsoSendThreadToChannel' must be equal to one of the allowed values".into(),
            ));
        }
    }
    Ok(())
}

/// The user's own preferences plus `language` (`users.getPreferences`).
pub fn stored_preferences(user: &User) -> Map<String, Value> {
    let mut prefs = user.preferences.clone();
    if let Some(language) = &user.language {
        prefs.insert("language".into(), Value::String(language.clone()));
    }
    prefs
}

/// `users.getPreferences`.
pub async fn get_preferences(state: &AppState, caller: &User) -> Result<Map<String, Value>> {
    let user = state
        .store
        .user_by_id(&caller.id)
        .await?
        .unwrap_or_else(|| caller.clone());
    Ok(stored_preferences(&user))
}

/// `users.setPreferences` (`saveUserPreferences`): the caller's own preferences, or
/// another user's with `edit-other-user-info`. Returns `{_id, settings: {preferences}}`.
pub async fn set_preferences(
    state: &AppState,
    caller: &User,
    user_id: Option<&str>,
    data: Map<String, Value>,
) -> Result<Value> {
    let target_id = user_id.filter(|id| !id.is_empty()).unwrap_or(&caller.id);
    if target_id != caller.id && !has(state, caller, "edit-other-user-info").await? {
        return Err(Error::failure(
            "error-action-not-allowed",
            "Editing user is not allowed",
        ));
    }
    let Some(mut user) = state.store.user_by_id(target_id).await? else {
        return Err(Error::failure(
            "error-invalid-user",
            "The optional \"userId\" param provided does not match any users",
        ));
    };
    validate_preferences(state, &data)?;
    for (key, mut value) in data {
        if key == "language" {
            user.language = value.as_str().map(str::to_owned);
            continue;
        }
        if key == "emailNotificationMode" {
            // Older clients' values.
            match value.as_str() {
                Some("all") => value = json!("mentions"),
                Some("disabled") => value = json!("nothing"),
                _ => {}
            }
        }
        if value.is_null() {
            user.preferences.remove(&key);
        } else {
            user.preferences.insert(key, value);
        }
    }
    user.updated_at = now_ms();
    state.store.update_user(&user).await?;
    Ok(json!({"_id": user.id, "settings": {"preferences": stored_preferences(&user)}}))
}

// -------------------------------------------------------------------------------------------
// Usernames

/// `users.checkUsernameAvailability` (`checkUsernameAvailabilityWithValidation`).
pub async fn check_username_availability(
    state: &AppState,
    caller: &User,
    username: &str,
) -> Result<bool> {
    if username.is_empty() {
        return Err(Error::failure("error-invalid-username", "Invalid username")
            .with_details(json!({"method": "setUsername"})));
    }
    if !state.settings.bool("Accounts_AllowUsernameChange") {
        return Err(Error::failure("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "setUsername"})));
    }
    if caller.username == username {
        return Ok(true);
    }
    if is_blocked_username(state, username) {
        return Err(blocked_username(username));
    }
    Ok(state.store.user_by_username(username).await?.is_none())
}

/// Lowercase, dots for spaces, only what the username rule allows.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        if c.is_whitespace() {
            if !out.ends_with('.') {
                out.push('.');
            }
        } else if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        }
    }
    out.trim_matches('.').to_owned()
}

async fn username_free(state: &AppState, username: &str) -> Result<bool> {
    Ok(!username.is_empty()
        && username_rule(state).is_valid(username)
        && !is_blocked_username(state, username)
        && state.store.user_by_username(username).await?.is_none())
}

/// `users.getUsernameSuggestion` (`generateUsernameSuggestion`): from the name, then the
/// e-mail address, then `Accounts_DefaultUsernamePrefixSuggestion`; numbered when taken.
pub async fn username_suggestion(state: &AppState, caller: &User) -> Result<String> {
    let mut bases: Vec<String> = Vec::new();
    let name = slug(&caller.name);
    if !name.is_empty() {
        bases.push(name);
    }
    if let Some((local, _)) = caller.email.as_deref().and_then(|e| e.split_once('@')) {
        let local = slug(local);
        if !local.is_empty() {
            bases.push(local);
        }
    }
    for base in &bases {
        if username_free(state, base).await? {
            return Ok(base.clone());
        }
    }
    let prefix = slug(
        &state
            .settings
            .string("Accounts_DefaultUsernamePrefixSuggestion"),
    );
    let base = bases.first().cloned().unwrap_or_else(|| {
        if prefix.is_empty() {
            "user".into()
        } else {
            prefix
        }
    });
    for n in 1..1000 {
        let candidate = format!("{base}-{n}");
        if username_free(state, &candidate).await? {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", ids::random_id_len(6).to_lowercase()))
}

// -------------------------------------------------------------------------------------------
// users.autocomplete

/// The parsed `selector` of `users.autocomplete`.
#[derive(Debug, Clone, Default)]
pub struct AutocompleteSelector {
    pub term: String,
    pub exceptions: Vec<String>,
    pub conditions: Option<Value>,
}

fn autocomplete_item(user: &User) -> Value {
    let mut item = json!({
        "_id": user.id,
        "name": user.name,
        "username": user.username,
        "status": user.status,
    });
    if let Some(nickname) = &user.nickname {
        item["nickname"] = json!(nickname);
    }
    if let Some(etag) = &user.avatar_etag {
        item["avatarETag"] = json!(etag);
    }
    item
}

/// `users.autocomplete` (`findUsersToAutocomplete`): the caller's DM contacts first, then
/// everyone (with `view-outside-room`) or only people sharing a room with the caller;
/// at most ten.
pub async fn autocomplete(
    state: &AppState,
    caller: &User,
    selector: AutocompleteSelector,
) -> Result<Vec<Value>> {
    const LIMIT: i64 = 10;
    let filter = match &selector.conditions {
        // As in `users.list`: only the public profile, so that a filter cannot probe
        // other users' e-mail addresses, roles or logins.
        Some(conditions) => {
            let fields = if has(state, caller, "view-full-other-user-info").await? {
                FIELDS
            } else {
                PUBLIC_FIELDS
            };
            Filter::from_mongo(conditions, fields)?
        }
        None => Filter::default(),
    };
    let mut exceptions = selector.exceptions.clone();
    let contacts = state
        .store
        .find_users_for_autocomplete(
            &selector.term,
            &exceptions,
            &filter,
            UserScope::DirectContactsOf(&caller.id),
            LIMIT,
        )
        .await?;
    let mut items: Vec<Value> = contacts.iter().map(autocomplete_item).collect();
    if contacts.len() as i64 >= LIMIT {
        return Ok(items);
    }
    exceptions.extend(contacts.iter().map(|u| u.username.clone()));
    let scope = if has(state, caller, "view-outside-room").await? {
        UserScope::Everyone
    } else {
        UserScope::RoomMatesOf(&caller.id)
    };
    let others = state
        .store
        .find_users_for_autocomplete(
            &selector.term,
            &exceptions,
            &filter,
            scope,
            LIMIT - contacts.len() as i64,
        )
        .await?;
    items.extend(others.iter().map(autocomplete_item));
    Ok(items)
}

// -------------------------------------------------------------------------------------------
// Sessions

/// `users.logout`: logs a user out everywhere (the caller, or anyone with
/// `logout-other-user`). Returns the message Rocket.Chat sends.
pub async fn logout_user(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    user_id: Option<&str>,
) -> Result<String> {
    let user_id = user_id.filter(|id| !id.is_empty()).unwrap_or(&caller.id);
    if user_id != caller.id && !has(state, caller, "logout-other-user").await? {
        return Err(Error::ForbiddenWith("unauthorized".into()));
    }
    let Some(target) = state.store.user_by_id(user_id).await? else {
        return Err(Error::failure("error-invalid-user-id", "Invalid user id"));
    };
    state.store.delete_user_tokens(user_id, true).await?;
    if user_id != caller.id {
        audit::record(
            state,
            caller,
            ip,
            "user.logout",
            "user",
            user_id,
            Some(json!({"username": target.username})),
            None,
        )
        .await;
    }
    events::force_logout(state, user_id);
    Ok(format!("User {user_id} has been logged out!"))
}

/// `users.logoutOtherClients` / `users.removeOtherTokens`: ends the caller's other
/// sessions (personal access tokens stay). Returns when the kept token expires.
pub async fn logout_other_clients(
    state: &AppState,
    caller: &User,
    hashed_token: &str,
) -> Result<Option<i64>> {
    state
        .store
        .delete_other_session_tokens(&caller.id, hashed_token)
        .await?;
    events::force_logout(state, &caller.id);
    Ok(state
        .store
        .token(hashed_token)
        .await?
        .and_then(|t| t.expires_at))
}

// -------------------------------------------------------------------------------------------
// The registerUser and spotlight methods

/// The `registerUser` method: like `users.register`, except that the username may be left
/// out (Rocket.Chat then lets the user pick one later); it is then suggested from the name
/// or the e-mail address, as `users.getUsernameSuggestion` would.
pub async fn register_via_method(
    state: &AppState,
    caller: Option<&User>,
    mut reg: Registration,
) -> Result<User> {
    if reg.username.trim().is_empty() && caller.is_none() {
        let mut bases: Vec<String> = Vec::new();
        if let Some(name) = reg.name.as_deref().map(slug).filter(|s| !s.is_empty()) {
            bases.push(name);
        }
        if let Some((local, _)) = reg.email.trim().split_once('@') {
            let local = slug(local);
            if !local.is_empty() {
                bases.push(local);
            }
        }
        let base = bases.first().cloned().unwrap_or_else(|| "user".to_owned());
        let mut chosen = None;
        for candidate in bases
            .iter()
            .cloned()
            .chain((1..100).map(|n| format!("{base}-{n}")))
        {
            if username_free(state, &candidate).await? {
                chosen = Some(candidate);
                break;
            }
        }
        reg.username =
            chosen.unwrap_or_else(|| format!("{base}-{}", ids::random_id_len(6).to_lowercase()));
    }
    register(state, caller, reg).await
}

fn spotlight_item(user: &User, outside: bool) -> Value {
    let mut item = json!({
        "_id": user.id,
        "username": user.username,
        "name": user.name,
        "status": user.status,
    });
    if !user.status_text.is_empty() {
        item["statusText"] = json!(user.status_text);
    }
    if let Some(nickname) = &user.nickname {
        item["nickname"] = json!(nickname);
    }
    if let Some(etag) = &user.avatar_etag {
        item["avatarETag"] = json!(etag);
    }
    if outside {
        item["outside"] = Value::Bool(true);
    }
    item
}

/// The users part of `spotlight` (`Spotlight.searchUsers`): active users whose username or
/// name contains `text`, except those in `usernames`; anyone with `view-outside-room` and
/// `view-d-room` (an exact username first), otherwise only the caller's direct-message
/// contacts. At most `Number_of_users_autocomplete_suggestions`.
pub async fn spotlight_users(
    state: &AppState,
    caller: &User,
    text: &str,
    usernames: &[String],
) -> Result<Vec<Value>> {
    let limit = state
        .settings
        .int("Number_of_users_autocomplete_suggestions")
        .max(1);
    let text = text.trim();
    let mut exceptions: Vec<String> = usernames.to_vec();
    let mut items = Vec::new();
    let outsiders =
        has(state, caller, "view-outside-room").await? && has(state, caller, "view-d-room").await?;
    if outsiders
        && !text.is_empty()
        && let Some(exact) = state.store.user_by_username(text).await?
        && exact.active
        && exact.user_type != "app"
        && !exceptions
            .iter()
            .any(|u| u.eq_ignore_ascii_case(&exact.username))
    {
        items.push(spotlight_item(&exact, true));
        exceptions.push(exact.username.clone());
    }
    let scope = if outsiders {
        UserScope::Everyone
    } else {
        UserScope::DirectContactsOf(&caller.id)
    };
    let found = state
        .store
        .find_users_for_autocomplete(
            text,
            &exceptions,
            &Filter::default(),
            scope,
            limit - items.len() as i64,
        )
        .await?;
    items.extend(found.iter().map(|u| spotlight_item(u, true)));
    items.truncate(limit as usize);
    Ok(items)
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

    #[test]
    fn name_characters() {
        assert!(valid_name_chars("Jane Doe"));
        assert!(!valid_name_chars("100%"));
        assert!(!valid_name_chars("</\\name>"));
        assert!(!valid_name_chars("a%3Cb"));
        assert!(valid_name_chars("a%2Fb"));
        assert!(!valid_name_chars("bad %zz escape"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("  Jane  Doe "), "jane.doe");
        assert_eq!(slug("Ünïcode Näme"), "ncode.nme");
        assert_eq!(slug("..."), "");
    }
}
