//! Blobs as files under a root directory.
//!
//! Layout: `<root>/<first two characters of the id>/<id>`. The two-character shard keeps
//! directories small (4096 shards) without a second level. An upload is written to a
//! temporary file in the same shard (names starting with `.`, which no id can), synced, then
//! hard-linked to its final name and unlinked: the link fails if the id exists, so a put
//! can never replace a blob, and the final name appears complete or not at all. A drop
//! guard removes the temporary file when the upload fails or its future is dropped (a
//! client that disconnects drops the request handler).

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::store::{ByteRange, clamp_range};
use crate::{BlobError, BlobId, BlobStore, BlobStream, ByteStream};

/// How much a download reads at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Files under a root directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store under `root`, created if missing.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        fs::create_dir_all(&root).await?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn shard(&self, id: &BlobId) -> PathBuf {
        // Ids are at least 16 ASCII characters, so the slice is in bounds and on a boundary.
        self.root.join(&id.as_str()[..2])
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        self.shard(id).join(id.as_str())
    }
}

/// Removes a temporary file unless disarmed. Drop cannot await, so this is a plain
/// blocking unlink: one metadata operation, acceptable even on the async runtime.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed
            && let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a partial upload");
        }
    }
}

async fn sync_dir(dir: PathBuf) -> io::Result<()> {
    // A rename or link is durable only once the directory entry is; std has no async
    // directory fsync, so it runs on the blocking pool.
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(io::Error::other)?
}

#[async_trait]
impl BlobStore for LocalStore {
    async fn put(&self, id: &BlobId, mut data: ByteStream) -> Result<u64, BlobError> {
        let shard = self.shard(id);
        fs::create_dir_all(&shard).await?;
        let final_path = self.path(id);
        if fs::try_exists(&final_path).await? {
            return Err(BlobError::AlreadyExists);
        }
        let mut tmp = TempFile {
            path: shard.join(format!(".tmp-{id}-{:016x}", rand::random::<u64>())),
            armed: true,
        };
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp.path)
            .await?;
        let mut size = 0u64;
        while let Some(chunk) = data.next().await {
            let chunk = chunk.map_err(BlobError::Source)?;
            file.write_all(&chunk).await?;
            size += chunk.len() as u64;
        }
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        match fs::hard_link(&tmp.path, &final_path).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(BlobError::AlreadyExists);
            }
            Err(e) => return Err(e.into()),
        }
        // From here the blob exists; the temporary name is only a second link to it.
        tmp.armed = false;
        fs::remove_file(&tmp.path).await?;
        sync_dir(shard).await?;
        Ok(size)
    }

    async fn get(&self, id: &BlobId, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        let mut file = match fs::File::open(self.path(id)).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        let (start, end) = clamp_range(range, size)?;
        file.seek(SeekFrom::Start(start)).await?;
        let reader = file.take(end - start);
        let stream = futures_util::stream::try_unfold(reader, |mut reader| async move {
            let mut buf = BytesMut::with_capacity(READ_CHUNK);
            let n = reader.read_buf(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            Ok(Some((Bytes::from(buf), reader)))
        });
        Ok(Box::pin(stream))
    }

    async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        match fs::remove_file(self.path(id)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn size(&self, id: &BlobId) -> Result<Option<u64>, BlobError> {
        match fs::metadata(self.path(id)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
