//! Uploaded avatars of users and rooms (their bytes live in the blob store).

use crate::rows::get;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct Avatar {
    pub subject: String,
    pub blob_id: String,
    pub content_type: String,
    pub etag: String,
    pub updated_at: i64,
}

impl Store {
    pub async fn avatar(&self, subject: &str) -> Result<Option<Avatar>> {
        let row = sqlx::query(
            "SELECT subject, blob_id, content_type, etag, updated_at FROM avatars WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(Avatar {
                subject: get(&row, "subject")?,
                blob_id: get(&row, "blob_id")?,
                content_type: get(&row, "content_type")?,
                etag: get(&row, "etag")?,
                updated_at: get(&row, "updated_at")?,
            })
        })
        .transpose()
    }

    /// Records a new avatar (and, for a user, its ETag on the user); returns the blob of the
    /// avatar it replaces, for the caller to delete.
    pub async fn put_avatar(
        &self,
        avatar: &Avatar,
        user_id: Option<&str>,
    ) -> Result<Option<String>> {
        let mut tx = self.write.begin().await?;
        let old: Option<String> = sqlx::query("SELECT blob_id FROM avatars WHERE subject = $1")
            .bind(&avatar.subject)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| get(&row, "blob_id"))
            .transpose()?;
        sqlx::query("DELETE FROM avatars WHERE subject = $1")
            .bind(&avatar.subject)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO avatars (subject, blob_id, content_type, etag, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&avatar.subject)
        .bind(&avatar.blob_id)
        .bind(&avatar.content_type)
        .bind(&avatar.etag)
        .bind(avatar.updated_at)
        .execute(&mut *tx)
        .await?;
        if let Some(user_id) = user_id {
            sqlx::query("UPDATE users SET avatar_etag = $2, updated_at = $3 WHERE id = $1")
                .bind(user_id)
                .bind(&avatar.etag)
                .bind(avatar.updated_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(old)
    }

    /// Forgets an avatar (and a user's ETag); returns its blob, for the caller to delete.
    pub async fn delete_avatar(
        &self,
        subject: &str,
        user_id: Option<&str>,
        now: i64,
    ) -> Result<Option<String>> {
        let mut tx = self.write.begin().await?;
        let old: Option<String> = sqlx::query("SELECT blob_id FROM avatars WHERE subject = $1")
            .bind(subject)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| get(&row, "blob_id"))
            .transpose()?;
        sqlx::query("DELETE FROM avatars WHERE subject = $1")
            .bind(subject)
            .execute(&mut *tx)
            .await?;
        if let Some(user_id) = user_id {
            sqlx::query("UPDATE users SET avatar_etag = NULL, updated_at = $2 WHERE id = $1")
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(old)
    }
}
