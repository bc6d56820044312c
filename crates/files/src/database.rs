//! Blobs as GridFS-style chunk rows in the server's database (`ferrochat_store::blobs`):
//! for deployments that keep everything in one database, as Rocket.Chat's GridFS backend
//! does. Writes go chunk by chunk (see the store module for why there is no transaction
//! around a whole upload); readers see a blob only once it is complete.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ferrochat_store::{Store, StoreError};
use futures_util::StreamExt;

use crate::store::{ByteRange, clamp_range};
use crate::{BlobError, BlobId, BlobStore, BlobStream, ByteStream};

/// Chunk size: GridFS's default, 255 KiB, so that a chunk and its row overhead stay under
/// 256 KiB.
pub const DB_CHUNK_SIZE: usize = 255 * 1024;

/// Chunk rows through `ferrochat_store::Store` (SQLite or PostgreSQL).
#[derive(Clone)]
pub struct DatabaseStore {
    store: Store,
}

impl DatabaseStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Removes what uploads cut off by a crash left (incomplete blobs older than
    /// `older_than`); the server runs this at start-up. Returns how many were removed.
    pub async fn sweep_pending(&self, older_than: std::time::Duration) -> Result<u64, BlobError> {
        let before = now_ms().saturating_sub(older_than.as_millis() as i64);
        Ok(self.store.sweep_pending_blobs(before).await?)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Aborts an incomplete blob when a `put` fails or its future is dropped. Drop cannot await,
/// so the abort runs as a task on the current runtime.
struct PendingBlob {
    store: Store,
    id: String,
    armed: bool,
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let store = self.store.clone();
        let id = std::mem::take(&mut self.id);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = store.abort_blob(&id).await {
                        tracing::warn!(blob = %id, error = %e, "could not remove a partial upload");
                    }
                });
            }
            // Without a runtime the sweep at the next start-up removes it.
            Err(_) => tracing::warn!(blob = %id, "partial upload left for the start-up sweep"),
        }
    }
}

fn chunk_size() -> i64 {
    DB_CHUNK_SIZE as i64
}

#[async_trait]
impl BlobStore for DatabaseStore {
    async fn put(&self, id: &BlobId, mut data: ByteStream) -> Result<u64, BlobError> {
        match self
            .store
            .begin_blob(id.as_str(), chunk_size(), now_ms())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Err(BlobError::AlreadyExists),
            Err(e) => return Err(e.into()),
        }
        let mut pending = PendingBlob {
            store: self.store.clone(),
            id: id.as_str().to_owned(),
            armed: true,
        };
        let result = async {
            let mut buf = BytesMut::with_capacity(DB_CHUNK_SIZE);
            let mut n = 0i64;
            let mut size = 0u64;
            while let Some(chunk) = data.next().await {
                let mut chunk = chunk.map_err(BlobError::Source)?;
                size += chunk.len() as u64;
                while !chunk.is_empty() {
                    let take = (DB_CHUNK_SIZE - buf.len()).min(chunk.len());
                    buf.extend_from_slice(&chunk.split_to(take));
                    if buf.len() == DB_CHUNK_SIZE {
                        self.store.put_blob_chunk(id.as_str(), n, &buf).await?;
                        buf.clear();
                        n += 1;
                    }
                }
            }
            if !buf.is_empty() {
                self.store.put_blob_chunk(id.as_str(), n, &buf).await?;
            }
            self.store.finish_blob(id.as_str(), size as i64).await?;
            Ok::<_, BlobError>(size)
        }
        .await;
        match result {
            Ok(size) => {
                pending.armed = false;
                Ok(size)
            }
            Err(e) => {
                // Abort now rather than in the guard's task, so the caller sees a clean
                // state as soon as the error returns.
                pending.armed = false;
                if let Err(abort) = self.store.abort_blob(id.as_str()).await {
                    tracing::warn!(blob = %id, error = %abort, "could not remove a partial upload");
                }
                Err(e)
            }
        }
    }

    async fn get(&self, id: &BlobId, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        let info = self
            .store
            .blob_info(id.as_str())
            .await?
            .ok_or(BlobError::NotFound)?;
        let size = u64::try_from(info.length)
            .map_err(|_| BlobError::Corrupt(format!("negative length {}", info.length)))?;
        let chunk = u64::try_from(info.chunk_size)
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| BlobError::Corrupt(format!("chunk size {}", info.chunk_size)))?;
        let (start, end) = clamp_range(range, size)?;
        if start == end {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let store = self.store.clone();
        let id = id.as_str().to_owned();
        // Only the chunks that overlap the range are fetched, one at a time.
        let first = start / chunk;
        let last = (end - 1) / chunk;
        let stream = futures_util::stream::iter(first..=last).then(move |n| {
            let store = store.clone();
            let id = id.clone();
            async move {
                let data = store
                    .blob_chunk(&id, n as i64)
                    .await?
                    .ok_or_else(|| BlobError::Corrupt(format!("chunk {n} of {id} missing")))?;
                let chunk_start = n * chunk;
                let expected = chunk.min(size - chunk_start);
                if data.len() as u64 != expected {
                    return Err(BlobError::Corrupt(format!(
                        "chunk {n} of {id} has {} bytes, {expected} expected",
                        data.len()
                    )));
                }
                let from = start.saturating_sub(chunk_start) as usize;
                let to = (end.min(chunk_start + expected) - chunk_start) as usize;
                Ok(Bytes::from(data).slice(from..to))
            }
        });
        Ok(Box::pin(stream))
    }

    async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        Ok(self.store.delete_blob(id.as_str()).await?)
    }

    async fn size(&self, id: &BlobId) -> Result<Option<u64>, BlobError> {
        Ok(self
            .store
            .blob_info(id.as_str())
            .await?
            .map(|info| info.length.max(0) as u64))
    }
}
