//! Uploads: the record of each uploaded file (its bytes live in a blob store).

use serde_json::{Map, Value};

use crate::rows::{get, get_bool, json_text, object};
use crate::{Page, Result, Store, classify};

#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The file id, also the id of its blob.
    pub id: String,
    pub rid: String,
    pub user_id: String,
    pub username: String,
    /// The sanitised file name.
    pub name: String,
    /// The media type detected from the content.
    pub content_type: String,
    pub size: i64,
    /// The backend holding the bytes (`FileSystem`, `GridFS`, `AmazonS3`).
    pub store: String,
    pub complete: bool,
    pub uploaded_at: i64,
    pub updated_at: i64,
    /// `description`, `identify` (image dimensions), `etag`, the message it belongs to…
    pub extra: Map<String, Value>,
    /// For a thumbnail: the upload it was made from.
    pub thumb_of: Option<String>,
}

const COLUMNS: &str = "id, rid, user_id, username, name, type, size, store, complete, uploaded_at, \
     updated_at, extra, thumb_of";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Upload> {
    Ok(Upload {
        id: get(row, "id")?,
        rid: get(row, "rid")?,
        user_id: get(row, "user_id")?,
        username: get(row, "username")?,
        name: get(row, "name")?,
        content_type: get(row, "type")?,
        size: get(row, "size")?,
        store: get(row, "store")?,
        complete: get_bool(row, "complete")?,
        uploaded_at: get(row, "uploaded_at")?,
        updated_at: get(row, "updated_at")?,
        extra: object(&get::<String>(row, "extra")?)?,
        thumb_of: get(row, "thumb_of")?,
    })
}

impl Store {
    pub async fn insert_upload(&self, upload: &Upload) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO uploads ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(&upload.id)
        .bind(&upload.rid)
        .bind(&upload.user_id)
        .bind(&upload.username)
        .bind(&upload.name)
        .bind(&upload.content_type)
        .bind(upload.size)
        .bind(&upload.store)
        .bind(upload.complete)
        .bind(upload.uploaded_at)
        .bind(upload.updated_at)
        .bind(json_text(&upload.extra))
        .bind(upload.thumb_of.as_deref())
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(())
    }

    pub async fn upload(&self, id: &str) -> Result<Option<Upload>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM uploads WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Marks an upload as part of a message (with its final name and extra fields).
    pub async fn complete_upload(&self, upload: &Upload, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE uploads SET complete = $2, name = $3, extra = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(&upload.id)
        .bind(true)
        .bind(&upload.name)
        .bind(json_text(&upload.extra))
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks an unconfirmed upload as taken (`complete`) if nobody took it yet; false when
    /// it was confirmed already. `release_upload` undoes it when posting fails.
    pub async fn claim_upload(&self, id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE uploads SET complete = $2, updated_at = $3 WHERE id = $1 AND complete = $4",
        )
        .bind(id)
        .bind(true)
        .bind(now)
        .bind(false)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn release_upload(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE uploads SET complete = $2 WHERE id = $1")
            .bind(id)
            .bind(false)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A room's confirmed files (thumbnails left out), newest first, optionally by name (case-insensitive
    /// substring), and how many there are.
    pub async fn room_uploads(
        &self,
        rid: &str,
        name: Option<&str>,
        page: Page,
    ) -> Result<(Vec<Upload>, i64)> {
        let mut condition = String::from(" WHERE rid = $1 AND complete = $2 AND thumb_of IS NULL");
        let pattern = name
            .filter(|n| !n.is_empty())
            .map(|n| format!("%{}%", crate::message_state::like_escape(&n.to_lowercase())));
        if pattern.is_some() {
            condition.push_str(" AND LOWER(name) LIKE $3 ESCAPE '\\'");
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM uploads{condition} ORDER BY uploaded_at DESC{}",
            page.sql(self.dialect)
        );
        let mut query = sqlx::query(&sql).bind(rid).bind(true);
        if let Some(pattern) = &pattern {
            query = query.bind(pattern);
        }
        let rows = query.fetch_all(&self.read).await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM uploads{condition}");
        let mut count = sqlx::query(&count_sql).bind(rid).bind(true);
        if let Some(pattern) = &pattern {
            count = count.bind(pattern);
        }
        let total: i64 = get(&count.fetch_one(&self.read).await?, "n")?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Uploads never confirmed, started before `before` (for the sweeper).
    pub async fn stale_uploads(&self, before: i64) -> Result<Vec<Upload>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM uploads WHERE complete = $1 AND uploaded_at < $2"
        ))
        .bind(false)
        .bind(before)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }
}
