//! Personal access tokens (`personalAccessTokens:*` methods and the
//! `users.*PersonalAccessToken*` endpoints), and the second-factor check that guards them.
//!
//! A personal access token is a login token with a name and no expiry: the secret goes to
//! the user once, only `base64(sha256(token))` is stored, with the token's last six
//! characters for recognising it. The gateway accepts it like any login token.
//!
//! Ferrochat has no TOTP or e-mail codes yet, so the second factor is Rocket.Chat's
//! password fallback: the SHA-256 hex digest of the password in `x-2fa-code` with
//! `x-2fa-method: password`.

use ferrochat_model::ids::{hash_login_token, random_secret};
use ferrochat_model::password::is_digest;
use ferrochat_model::time::now_ms;
use ferrochat_model::{DateStyle, User};
use ferrochat_store::tokens::{KIND_PERSONAL, LoginToken};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::passwords::Verified;
use crate::state::AppState;

/// A second factor offered with a request (`x-2fa-code` / `x-2fa-method`).
#[derive(Debug, Clone, Default)]
pub struct SecondFactor {
    pub code: Option<String>,
    pub method: Option<String>,
}

fn two_factor_error(code: &str, reason: &str, method: &str) -> Error {
    Error::failure(code, reason).with_details(json!({
        "method": method,
        "codeGenerated": false,
        "availableMethods": [],
    }))
}

/// `checkCodeForUser`. `require` is `requireSecondFactor`: then the check runs even in
/// TEST_MODE and even for users without another method. `caller_token` is the hashed token
/// of the request; tokens created with `bypassTwoFactor` skip the check.
pub async fn check_two_factor(
    state: &AppState,
    user: &User,
    caller_token: Option<&str>,
    factor: &SecondFactor,
    require: bool,
) -> Result<()> {
    if state.config.test_mode && !require {
        return Ok(());
    }
    let settings = &state.settings;
    if !settings.bool("Accounts_TwoFactorAuthentication_Enabled") {
        return Ok(());
    }
    if !require {
        if let Some(hashed) = caller_token
            && let Some(token) = state.store.token(hashed).await?
            && token.bypass_two_factor
        {
            return Ok(());
        }
        // Users are trusted for a while right after registering.
        let remember_ms = settings.int("Accounts_TwoFactorAuthentication_RememberFor") * 1000;
        if remember_ms > 0 && user.created_at + remember_ms >= now_ms() {
            return Ok(());
        }
        let fallback = user.password_hash.is_some()
            && settings.bool("Accounts_TwoFactorAuthentication_Enforce_Password_Fallback");
        if !fallback {
            return Ok(());
        }
    }
    let method = factor.method.as_deref().unwrap_or("password");
    let Some(code) = factor.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(two_factor_error("totp-required", "TOTP Required", method));
    };
    let valid = match (&user.password_hash, method) {
        (Some(stored), "password") => {
            let digest = code.trim().to_ascii_lowercase();
            is_digest(&digest) && state.passwords.verify(&digest, stored).await? != Verified::No
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(two_factor_error("totp-invalid", "TOTP Invalid", method))
    }
}

fn not_authorized(method: &str) -> Error {
    Error::failure("not-authorized", "Not Authorized")
        .with_details(json!({"method": format!("personalAccessTokens:{method}")}))
}

fn does_not_exist(method: &str) -> Error {
    Error::failure("error-token-does-not-exists", "Token does not exist")
        .with_details(json!({"method": format!("personalAccessTokens:{method}")}))
}

async fn require_permission(state: &AppState, user: &User, method: &str) -> Result<()> {
    if state
        .authz
        .has(&state.store, user, "create-personal-access-tokens", None)
        .await?
    {
        Ok(())
    } else {
        Err(not_authorized(method))
    }
}

/// A new token secret and the record that stores its hash.
fn new_token(user: &User, name: &str, bypass_two_factor: bool) -> (String, LoginToken) {
    let token = random_secret();
    let last: String = token.chars().skip(token.len().saturating_sub(6)).collect();
    let record = LoginToken {
        hashed_token: hash_login_token(&token),
        user_id: user.id.clone(),
        created_at: now_ms(),
        expires_at: None,
        kind: KIND_PERSONAL.to_owned(),
        name: Some(name.to_owned()),
        last_token_part: Some(last),
        bypass_two_factor,
    };
    (token, record)
}

/// `personalAccessTokens:generateToken`: returns the secret, shown only this once.
pub async fn generate(
    state: &AppState,
    user: &User,
    name: &str,
    bypass_two_factor: bool,
) -> Result<String> {
    require_permission(state, user, "generateToken").await?;
    let exists = || {
        Error::failure(
            "error-token-already-exists",
            "A token with this name already exists",
        )
        .with_details(json!({"method": "personalAccessTokens:generateToken"}))
    };
    if state.store.personal_token(&user.id, name).await?.is_some() {
        return Err(exists());
    }
    let (token, record) = new_token(user, name, bypass_two_factor);
    state
        .store
        .insert_token(&record)
        .await
        .map_err(|e| match e {
            ferrochat_store::StoreError::Duplicate(_) => exists(),
            other => other.into(),
        })?;
    Ok(token)
}

/// `personalAccessTokens:regenerateToken`: a new secret under the same name (and the same
/// `bypassTwoFactor`); the old secret stops working.
pub async fn regenerate(state: &AppState, user: &User, name: &str) -> Result<String> {
    require_permission(state, user, "regenerateToken").await?;
    let Some(existing) = state.store.personal_token(&user.id, name).await? else {
        return Err(does_not_exist("regenerateToken"));
    };
    let (token, record) = new_token(user, name, existing.bypass_two_factor);
    if !state.store.replace_personal_token(&record).await? {
        return Err(does_not_exist("regenerateToken"));
    }
    crate::services::events::force_logout(state, &user.id);
    Ok(token)
}

/// `personalAccessTokens:removeToken`.
pub async fn remove(state: &AppState, user: &User, name: &str) -> Result<()> {
    require_permission(state, user, "removeToken").await?;
    if !state.store.delete_personal_token(&user.id, name).await? {
        return Err(does_not_exist("removeToken"));
    }
    crate::services::events::force_logout(state, &user.id);
    Ok(())
}

/// `users.getPersonalAccessTokens`: `[{name, createdAt, lastTokenPart, bypassTwoFactor}]`.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Value>> {
    state
        .authz
        .require(&state.store, user, "create-personal-access-tokens", None)
        .await?;
    Ok(state
        .store
        .personal_tokens(&user.id)
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "createdAt": DateStyle::Iso.date(t.created_at),
                "lastTokenPart": t.last_token_part,
                "bypassTwoFactor": t.bypass_two_factor,
            })
        })
        .collect())
}
