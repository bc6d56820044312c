//! Instance-wide facts that must survive restarts (for example the instance id).

use crate::rows::get;
use crate::{Result, Store};

impl Store {
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(|r| get(r, "value")).transpose()
    }

    /// Stores a value unless the key already has one; returns the value now stored.
    pub async fn meta_get_or_insert(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.write)
            .await?;
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_one(&self.write)
            .await?;
        get(&row, "value")
    }
}
