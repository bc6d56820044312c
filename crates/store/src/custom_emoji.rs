//! Custom emoji: names, aliases and their images.

use crate::rows::{get, json_text, string_list};
use crate::{Result, Store, classify};

/// A custom emoji without its image.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomEmoji {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub extension: String,
    pub content_type: String,
    pub etag: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, aliases, extension, content_type, etag, updated_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<CustomEmoji> {
    Ok(CustomEmoji {
        id: get(row, "id")?,
        name: get(row, "name")?,
        aliases: string_list(&get::<String>(row, "aliases")?)?,
        extension: get(row, "extension")?,
        content_type: get(row, "content_type")?,
        etag: get(row, "etag")?,
        updated_at: get(row, "updated_at")?,
    })
}

impl Store {
    pub async fn custom_emojis(&self) -> Result<Vec<CustomEmoji>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM custom_emoji ORDER BY name"))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    pub async fn custom_emoji(&self, id: &str) -> Result<Option<CustomEmoji>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM custom_emoji WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The emoji called `name` (or having it as an alias), with its image.
    pub async fn custom_emoji_image(&self, name: &str) -> Result<Option<(CustomEmoji, Vec<u8>)>> {
        let Some(emoji) = self
            .custom_emojis()
            .await?
            .into_iter()
            .find(|e| e.name == name || e.aliases.iter().any(|a| a == name))
        else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT data FROM custom_emoji WHERE id = $1")
            .bind(&emoji.id)
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some(row) => Ok(Some((emoji, get(&row, "data")?))),
            None => Ok(None),
        }
    }

    /// Inserts a new emoji or, when the id exists, replaces its fields (and its image when one
    /// is given). Fails with `Duplicate` when the name is taken.
    pub async fn put_custom_emoji(&self, emoji: &CustomEmoji, image: Option<&[u8]>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let exists = sqlx::query("SELECT id FROM custom_emoji WHERE id = $1")
            .bind(&emoji.id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            sqlx::query(
                "UPDATE custom_emoji SET name = $2, aliases = $3, extension = $4, content_type = $5, \
                 etag = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(&emoji.id)
            .bind(&emoji.name)
            .bind(json_text(&emoji.aliases))
            .bind(&emoji.extension)
            .bind(&emoji.content_type)
            .bind(&emoji.etag)
            .bind(emoji.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            if let Some(image) = image {
                sqlx::query("UPDATE custom_emoji SET data = $2 WHERE id = $1")
                    .bind(&emoji.id)
                    .bind(image.to_vec())
                    .execute(&mut *tx)
                    .await?;
            }
        } else {
            sqlx::query(
                "INSERT INTO custom_emoji (id, name, aliases, extension, content_type, etag, updated_at, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&emoji.id)
            .bind(&emoji.name)
            .bind(json_text(&emoji.aliases))
            .bind(&emoji.extension)
            .bind(&emoji.content_type)
            .bind(&emoji.etag)
            .bind(emoji.updated_at)
            .bind(image.unwrap_or_default().to_vec())
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an emoji, remembering it for `updatedSince` sync; returns it.
    pub async fn delete_custom_emoji(&self, id: &str, now: i64) -> Result<Option<CustomEmoji>> {
        let Some(emoji) = self.custom_emoji(id).await? else {
            return Ok(None);
        };
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM custom_emoji WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO trash (id, collection, rid, user_id, deleted_at, doc) VALUES ($1, 'custom_emoji', NULL, NULL, $2, '{}') \
             ON CONFLICT (collection, id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(emoji))
    }

    /// Emoji deleted after `since`: (id, when).
    pub async fn deleted_custom_emojis(&self, since: i64) -> Result<Vec<(String, i64)>> {
        sqlx::query(
            "SELECT id, deleted_at FROM trash WHERE collection = 'custom_emoji' AND deleted_at > $1 ORDER BY deleted_at",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|row| Ok((get(row, "id")?, get(row, "deleted_at")?)))
        .collect()
    }
}
