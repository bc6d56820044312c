//! Errors of the blob stores.

use std::io;

/// What can go wrong storing or reading a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The id is not a server-generated id (`[A-Za-z0-9_-]{16,64}`).
    #[error("invalid blob id")]
    InvalidId,
    #[error("blob not found")]
    NotFound,
    /// `put` on an id that is taken: ids are generated, never reused, never overwritten.
    #[error("blob already exists")]
    AlreadyExists,
    /// A range that starts past the end or is empty (HTTP 416).
    #[error("range {start}..{end} not satisfiable for {size} bytes")]
    RangeNotSatisfiable { start: u64, end: u64, size: u64 },
    /// The upload stream itself failed (client gone, body error): nothing was stored.
    #[error("upload stream failed: {0}")]
    Source(io::Error),
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error("database error: {0}")]
    Database(#[from] ferrochat_store::StoreError),
    #[error("object storage error: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Encrypted data that fails authentication: tampered, truncated, or the wrong key.
    #[error("stored data failed authentication (tampered, truncated or wrong key)")]
    Tampered,
    /// Stored data that does not have the shape its backend wrote.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}
