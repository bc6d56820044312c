//! The trash: what was deleted and when, for `updatedSince` sync. Rows are written by the
//! repositories that delete (rooms, subscriptions, messages); this module only prunes.

use crate::{Result, Store};

impl Store {
    /// Forgets deletions older than `before`; clients that have not synced since then do a
    /// full sync instead.
    pub async fn prune_trash(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM trash WHERE deleted_at < $1 AND collection <> 'messages'")
                .bind(before)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }
}
