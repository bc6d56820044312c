//! Logging in and out. Both transports hand a DDP-style login request to [`login`]; REST's
//! `loginCompatibility` rewriting happens in the REST layer.

use std::net::IpAddr;

use ferrochat_model::User;
use ferrochat_model::ids::{hash_login_token, random_secret};
use ferrochat_model::password::{client_digest, is_digest};
use ferrochat_model::time::now_ms;
use ferrochat_store::tokens::{KIND_RESUME, LoginToken};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::passwords::Verified;
use crate::state::AppState;

/// Who is logging in.
#[derive(Debug, Clone)]
pub enum LoginUser {
    Username(String),
    Email(String),
    Id(String),
}

/// A login request, as the DDP `login` method receives it.
#[derive(Debug, Clone)]
pub enum LoginRequest {
    Password { user: LoginUser, digest: String },
    Resume { token: String },
}

#[derive(Debug, Clone)]
pub struct LoginResult {
    pub user: User,
    pub token: String,
    pub token_expires: i64,
    /// `password` or `resume`.
    pub kind: &'static str,
}

/// The ambiguous failure Rocket.Chat gives for an unknown user or a wrong password, so that
/// a caller cannot tell which accounts exist.
fn bad_credentials() -> Error {
    Error::LoginFailed {
        error: Value::String("Unauthorized".into()),
        reason: "Unauthorized".into(),
    }
}

impl LoginRequest {
    /// Parses the DDP login argument (`{user, password}` or `{resume}`). The password may be
    /// plain text (bots send that) or `{digest, algorithm: "sha-256"}`.
    pub fn from_ddp(arg: &Value) -> Result<Self> {
        let invalid = || Error::failure("error-invalid-login", "Invalid login request");
        if let Some(resume) = arg.get("resume") {
            let token = resume.as_str().ok_or_else(invalid)?;
            return Ok(LoginRequest::Resume {
                token: token.to_owned(),
            });
        }
        let user = match arg.get("user") {
            Some(Value::String(name)) => {
                if name.contains('@') {
                    LoginUser::Email(name.clone())
                } else {
                    LoginUser::Username(name.clone())
                }
            }
            Some(Value::Object(selector)) => {
                if let Some(Value::String(username)) = selector.get("username") {
                    LoginUser::Username(username.clone())
                } else if let Some(Value::String(email)) = selector.get("email") {
                    LoginUser::Email(email.clone())
                } else if let Some(Value::String(id)) = selector.get("id") {
                    LoginUser::Id(id.clone())
                } else {
                    return Err(invalid());
                }
            }
            _ => return Err(invalid()),
        };
        let digest = match arg.get("password") {
            Some(Value::String(plain)) => client_digest(plain),
            Some(Value::Object(p)) => {
                let algorithm = p
                    .get("algorithm")
                    .and_then(Value::as_str)
                    .unwrap_or("sha-256");
                match p.get("digest") {
                    Some(Value::String(d)) if algorithm == "sha-256" && is_digest(d) => {
                        d.to_ascii_lowercase()
                    }
                    _ => return Err(invalid()),
                }
            }
            _ => return Err(invalid()),
        };
        Ok(LoginRequest::Password { user, digest })
    }
}

async fn find_user(state: &AppState, who: &LoginUser) -> Result<Option<User>> {
    Ok(match who {
        LoginUser::Username(name) => state.store.user_by_username(name).await?,
        LoginUser::Email(email) => state.store.user_by_email(email).await?,
        LoginUser::Id(id) => state.store.user_by_id(id).await?,
    })
}

/// Issues a new session token for the user.
pub async fn issue_token(state: &AppState, user: &User) -> Result<(String, i64)> {
    let token = random_secret();
    let now = now_ms();
    let days = state.settings.int("Accounts_LoginExpiration").max(1);
    let expires = now + days * 24 * 60 * 60 * 1000;
    state
        .store
        .insert_token(&LoginToken {
            hashed_token: hash_login_token(&token),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: Some(expires),
            kind: KIND_RESUME.to_owned(),
            name: None,
            last_token_part: None,
            bypass_two_factor: false,
        })
        .await?;
    Ok((token, expires))
}

/// `client_ip` feeds the brute-force protection; `None` when the transport does not know it.
pub async fn login(
    state: &AppState,
    request: LoginRequest,
    client_ip: Option<IpAddr>,
) -> Result<LoginResult> {
    match request {
        LoginRequest::Resume { token } => {
            let hashed = hash_login_token(&token);
            let stored = state.store.token(&hashed).await?;
            let stored = match stored {
                Some(t) if t.expires_at.is_none_or(|at| at > now_ms()) => t,
                _ => {
                    return Err(Error::LoginFailed {
                        error: json!(403),
                        reason: "You've been logged out by the server. Please log in again.".into(),
                    });
                }
            };
            let user = match state.store.user_by_id(&stored.user_id).await? {
                Some(user) if user.active => user,
                _ => return Err(bad_credentials()),
            };
            Ok(LoginResult {
                user,
                token,
                token_expires: stored.expires_at.unwrap_or(i64::MAX),
                kind: "resume",
            })
        }
        LoginRequest::Password { user: who, digest } => {
            let login_name = match &who {
                LoginUser::Username(n) | LoginUser::Email(n) | LoginUser::Id(n) => n.clone(),
            };
            let now = now_ms();
            state
                .login_guard
                .check(&state.settings, &login_name, client_ip, now)?;
            let result = password_login(state, &who, &digest).await;
            match &result {
                Ok(_) => state.login_guard.record_success(&login_name),
                Err(Error::LoginFailed { .. }) => {
                    state
                        .login_guard
                        .record_failure(&login_name, client_ip, now)
                }
                Err(_) => {}
            }
            result
        }
    }
}

async fn password_login(state: &AppState, who: &LoginUser, digest: &str) -> Result<LoginResult> {
    let Some(mut user) = find_user(state, who).await? else {
        // Spend the same effort as a real check so timing does not reveal the account.
        let _ = state.passwords.verify(digest, DUMMY_HASH).await;
        return Err(bad_credentials());
    };
    let Some(stored) = user.password_hash.clone() else {
        return Err(bad_credentials());
    };
    match state.passwords.verify(digest, &stored).await? {
        Verified::No => return Err(bad_credentials()),
        Verified::Yes => {}
        Verified::YesRehash(new_hash) => user.password_hash = Some(new_hash),
    }
    if !user.active {
        return Err(Error::LoginFailed {
            error: Value::String("error-user-is-not-activated".into()),
            reason: "User is not activated".into(),
        });
    }
    let now = now_ms();
    user.last_login = Some(now);
    user.updated_at = now;
    state.store.update_user(&user).await?;
    let (token, token_expires) = issue_token(state, &user).await?;
    Ok(LoginResult {
        user,
        token,
        token_expires,
        kind: "password",
    })
}

/// Removes the token the caller used.
pub async fn logout(state: &AppState, hashed_token: &str) -> Result<()> {
    let token = state.store.token(hashed_token).await?;
    state.store.delete_token(hashed_token).await?;
    if let Some(token) = token {
        // Other connections logged in with the same token end too.
        crate::services::events::force_logout(state, &token.user_id);
    }
    Ok(())
}

/// An argon2id hash of a random value, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2x0zHh1nH2yq0mYzWgGx1yM3kCzfbxMHDyZ2Ah0F8Fk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ddp_login_forms() {
        match LoginRequest::from_ddp(&json!({"user": {"username": "bob"}, "password": "pw"}))
            .unwrap()
        {
            LoginRequest::Password { digest, .. } => assert_eq!(digest, client_digest("pw")),
            other => panic!("{other:?}"),
        }
        let digest = client_digest("pw");
        assert!(matches!(
            LoginRequest::from_ddp(&json!({"user": {"email": "b@x.io"}, "password": {"digest": digest, "algorithm": "sha-256"}})).unwrap(),
            LoginRequest::Password { user: LoginUser::Email(_), .. }
        ));
        assert!(matches!(
            LoginRequest::from_ddp(&json!({"resume": "tok"})).unwrap(),
            LoginRequest::Resume { .. }
        ));
        assert!(
            LoginRequest::from_ddp(&json!({"user": {"username": {"$ne": null}}, "password": "x"}))
                .is_err()
        );
        assert!(
            LoginRequest::from_ddp(&json!({"user": "bob", "password": {"digest": "short"}}))
                .is_err()
        );
    }
}
