//! Blob contents stored in the database, GridFS style: a `blob_files` row per blob and its
//! bytes in `blob_chunks` rows of a fixed size (ferrochat-files' `DatabaseStore` uses
//! 255 KiB, GridFS's default). Metadata about uploads lives elsewhere; this module only
//! knows ids, lengths and bytes.
//!
//! Writing is split on purpose: [`Store::begin_blob`] inserts an incomplete row, each
//! [`Store::put_blob_chunk`] is its own short statement and [`Store::finish_blob`] marks the
//! blob complete in one transaction. One transaction around a whole upload would hold
//! SQLite's only writer connection for as long as the client takes to send a large file,
//! stalling every other write of the server. Readers see complete blobs only, so a blob is
//! visible all at once or not at all; [`Store::abort_blob`] and
//! [`Store::sweep_pending_blobs`] remove what a cut-off upload left.

use crate::rows::{get, get_bool};
use crate::{Result, Store, StoreError, classify};

/// A complete blob's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// Total length in bytes.
    pub length: i64,
    /// Length of every chunk but the last.
    pub chunk_size: i64,
}

impl Store {
    /// Starts a blob: an incomplete row that readers do not see. Fails with
    /// [`StoreError::Duplicate`] when the id exists (complete or not).
    pub async fn begin_blob(&self, id: &str, chunk_size: i64, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO blob_files (id, length, chunk_size, complete, created_at) \
             VALUES ($1, 0, $2, $3, $4)",
        )
        .bind(id)
        .bind(chunk_size)
        .bind(false)
        .bind(now_ms)
        .execute(&self.write)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// Stores chunk `n` of an incomplete blob.
    pub async fn put_blob_chunk(&self, id: &str, n: i64, data: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO blob_chunks (files_id, n, data) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(n)
            .bind(data.to_vec())
            .execute(&self.write)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Marks a blob complete with its final length, after checking (in the same
    /// transaction) that exactly the expected chunks are there.
    pub async fn finish_blob(&self, id: &str, length: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT chunk_size, complete FROM blob_files WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("blob {id} vanished while written")))?;
        let chunk_size: i64 = get(&row, "chunk_size")?;
        if get_bool(&row, "complete")? {
            return Err(StoreError::Corrupt(format!(
                "blob {id} is already complete"
            )));
        }
        let chunks: i64 = get(
            &sqlx::query("SELECT COUNT(*) AS c FROM blob_chunks WHERE files_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?,
            "c",
        )?;
        let expected = if chunk_size > 0 {
            (length + chunk_size - 1) / chunk_size
        } else {
            0
        };
        if chunks != expected {
            return Err(StoreError::Corrupt(format!(
                "blob {id}: {chunks} chunks stored, {expected} expected for {length} bytes"
            )));
        }
        sqlx::query("UPDATE blob_files SET length = $2, complete = $3 WHERE id = $1")
            .bind(id)
            .bind(length)
            .bind(true)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an incomplete blob and its chunks; a complete blob with the id is left alone
    /// (so an aborted duplicate upload cannot delete the original).
    pub async fn abort_blob(&self, id: &str) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let pending = sqlx::query("SELECT complete FROM blob_files WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = pending
            && !get_bool(&row, "complete")?
        {
            // Chunks first: the cascade needs foreign keys on, which is true here but is a
            // connection setting, not something the schema can promise.
            sqlx::query("DELETE FROM blob_chunks WHERE files_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM blob_files WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes incomplete blobs started before `before_ms`: what uploads cut off by a crash
    /// left behind. Returns how many were removed.
    pub async fn sweep_pending_blobs(&self, before_ms: i64) -> Result<u64> {
        let ids: Vec<String> =
            sqlx::query("SELECT id FROM blob_files WHERE complete = $1 AND created_at < $2")
                .bind(false)
                .bind(before_ms)
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|row| get(row, "id"))
                .collect::<Result<_>>()?;
        for id in &ids {
            self.abort_blob(id).await?;
        }
        Ok(ids.len() as u64)
    }

    /// A complete blob's length and chunk size.
    pub async fn blob_info(&self, id: &str) -> Result<Option<BlobInfo>> {
        let row = sqlx::query(
            "SELECT length, chunk_size FROM blob_files WHERE id = $1 AND complete = $2",
        )
        .bind(id)
        .bind(true)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(BlobInfo {
                length: get(&row, "length")?,
                chunk_size: get(&row, "chunk_size")?,
            })
        })
        .transpose()
    }

    /// Chunk `n` of a blob, one row at a time so a reader holds at most one chunk.
    pub async fn blob_chunk(&self, id: &str, n: i64) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT data FROM blob_chunks WHERE files_id = $1 AND n = $2")
            .bind(id)
            .bind(n)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| get(&row, "data")).transpose()
    }

    /// Deletes a blob, complete or not, with its chunks. True when it existed.
    pub async fn delete_blob(&self, id: &str) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM blob_chunks WHERE files_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM blob_files WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// How many `blob_files` and `blob_chunks` rows exist for an id, complete or not: lets
    /// tests and diagnostics see what a cut-off upload left.
    pub async fn blob_row_counts(&self, id: &str) -> Result<(i64, i64)> {
        let files: i64 = get(
            &sqlx::query("SELECT COUNT(*) AS c FROM blob_files WHERE id = $1")
                .bind(id)
                .fetch_one(&self.read)
                .await?,
            "c",
        )?;
        let chunks: i64 = get(
            &sqlx::query("SELECT COUNT(*) AS c FROM blob_chunks WHERE files_id = $1")
                .bind(id)
                .fetch_one(&self.read)
                .await?,
            "c",
        )?;
        Ok((files, chunks))
    }
}
