//! Stored setting values. Definitions and defaults live in the server's registry; the store
//! keeps only values that were changed, with when.

use serde_json::Value;

use crate::rows::{get, json_text};
use crate::{Result, Store, StoreError};

impl Store {
    pub async fn setting_values(&self) -> Result<Vec<(String, Value, i64)>> {
        let rows = sqlx::query("SELECT id, value, updated_at FROM settings")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                let text: String = get(row, "value")?;
                let value = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("setting value: {e}")))?;
                Ok((get(row, "id")?, value, get(row, "updated_at")?))
            })
            .collect()
    }

    pub async fn put_setting(&self, id: &str, value: &Value, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (id, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(json_text(value))
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
