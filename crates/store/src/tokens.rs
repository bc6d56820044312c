//! Login tokens. Only `base64(sha256(token))` is stored; personal access tokens are login
//! tokens with a name and no expiry.

use sqlx::any::AnyRow;

use crate::rows::{get, get_bool};
use crate::{Result, Store, classify};

#[derive(Debug, Clone, PartialEq)]
pub struct LoginToken {
    pub hashed_token: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// `resume` or `personalAccessToken`.
    pub kind: String,
    pub name: Option<String>,
    pub last_token_part: Option<String>,
    pub bypass_two_factor: bool,
}

pub const KIND_RESUME: &str = "resume";
pub const KIND_PERSONAL: &str = "personalAccessToken";

const COLUMNS: &str =
    "hashed_token, user_id, created_at, expires_at, kind, name, last_token_part, bypass_two_factor";

fn from_row(row: &AnyRow) -> Result<LoginToken> {
    Ok(LoginToken {
        hashed_token: get(row, "hashed_token")?,
        user_id: get(row, "user_id")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        kind: get(row, "kind")?,
        name: get(row, "name")?,
        last_token_part: get(row, "last_token_part")?,
        bypass_two_factor: get_bool(row, "bypass_two_factor")?,
    })
}

async fn insert(conn: &mut sqlx::AnyConnection, token: &LoginToken) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO login_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&token.hashed_token)
    .bind(&token.user_id)
    .bind(token.created_at)
    .bind(token.expires_at)
    .bind(&token.kind)
    .bind(token.name.as_deref())
    .bind(token.last_token_part.as_deref())
    .bind(token.bypass_two_factor)
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

impl Store {
    pub async fn insert_token(&self, token: &LoginToken) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        insert(&mut conn, token).await
    }

    pub async fn token(&self, hashed_token: &str) -> Result<Option<LoginToken>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM login_tokens WHERE hashed_token = $1"
        ))
        .bind(hashed_token)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn delete_token(&self, hashed_token: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM login_tokens WHERE hashed_token = $1")
            .bind(hashed_token)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Logs a user out everywhere (session tokens only; personal access tokens stay unless
    /// `including_personal`).
    pub async fn delete_user_tokens(&self, user_id: &str, including_personal: bool) -> Result<u64> {
        let sql = if including_personal {
            "DELETE FROM login_tokens WHERE user_id = $1"
        } else {
            "DELETE FROM login_tokens WHERE user_id = $1 AND kind = 'resume'"
        };
        Ok(sqlx::query(sql)
            .bind(user_id)
            .execute(&self.write)
            .await?
            .rows_affected())
    }

    pub async fn personal_tokens(&self, user_id: &str) -> Result<Vec<LoginToken>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM login_tokens WHERE user_id = $1 AND kind = $2 ORDER BY created_at"
        ))
        .bind(user_id)
        .bind(KIND_PERSONAL)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    pub async fn delete_personal_token(&self, user_id: &str, name: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM login_tokens WHERE user_id = $1 AND kind = $2 AND name = $3")
                .bind(user_id)
                .bind(KIND_PERSONAL)
                .bind(name)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes expired session tokens; returns how many.
    pub async fn purge_expired_tokens(&self, now: i64) -> Result<u64> {
        Ok(
            sqlx::query(
                "DELETE FROM login_tokens WHERE expires_at IS NOT NULL AND expires_at < $1",
            )
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected(),
        )
    }

    /// Every token of a user, oldest first.
    pub async fn user_tokens(&self, user_id: &str) -> Result<Vec<LoginToken>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM login_tokens WHERE user_id = $1 ORDER BY created_at"
        ))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// A user's personal access token by name.
    pub async fn personal_token(&self, user_id: &str, name: &str) -> Result<Option<LoginToken>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM login_tokens WHERE user_id = $1 AND kind = $2 AND name = $3"
        ))
        .bind(user_id)
        .bind(KIND_PERSONAL)
        .bind(name)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Replaces a personal access token with a new one of the same name, atomically.
    /// Returns false (and changes nothing) when there was no token of that name.
    pub async fn replace_personal_token(&self, token: &LoginToken) -> Result<bool> {
        let name = token.name.as_deref().unwrap_or_default();
        let mut tx = self.write.begin().await?;
        let done =
            sqlx::query("DELETE FROM login_tokens WHERE user_id = $1 AND kind = $2 AND name = $3")
                .bind(&token.user_id)
                .bind(KIND_PERSONAL)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert(&mut tx, token).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Logs a user's other sessions out: removes their session tokens except `keep`.
    /// Personal access tokens stay.
    pub async fn delete_other_session_tokens(&self, user_id: &str, keep: &str) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM login_tokens WHERE user_id = $1 AND kind = $2 AND hashed_token <> $3",
        )
        .bind(user_id)
        .bind(KIND_RESUME)
        .bind(keep)
        .execute(&self.write)
        .await?
        .rows_affected())
    }
}
