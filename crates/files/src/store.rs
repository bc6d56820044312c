//! The storage trait every backend implements.

use std::io;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

use crate::{BlobError, BlobId};

/// An upload: chunks of any size as they arrive. The error type is `io::Error` because that
/// is what request bodies and files produce; a failing source aborts the `put`.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send + 'static>>;

/// A download: chunks as the backend reads them.
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send + 'static>>;

/// A half-open byte range `start..end` (`end` exclusive). HTTP's inclusive `bytes=a-b` is
/// `(a, b + 1)`. An `end` past the blob is clamped to its size.
pub type ByteRange = (u64, u64);

/// Blob storage. Ids are validated [`BlobId`]s; a store never chooses or alters them.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the stream under `id` and returns the number of bytes stored. Streams: no
    /// implementation holds the whole file. On any failure (the source's included) and when
    /// the returned future is dropped half way, nothing is left under `id`. Fails with
    /// [`BlobError::AlreadyExists`] when `id` is taken.
    async fn put(&self, id: &BlobId, data: ByteStream) -> Result<u64, BlobError>;

    /// The blob's bytes, or the bytes of `range` (see [`ByteRange`]).
    async fn get(&self, id: &BlobId, range: Option<ByteRange>) -> Result<BlobStream, BlobError>;

    /// Deletes the blob; true when it existed.
    async fn delete(&self, id: &BlobId) -> Result<bool, BlobError>;

    /// The blob's size in bytes, `None` when it does not exist.
    async fn size(&self, id: &BlobId) -> Result<Option<u64>, BlobError>;

    async fn exists(&self, id: &BlobId) -> Result<bool, BlobError> {
        Ok(self.size(id).await?.is_some())
    }
}

/// Clamps a requested range to a blob of `size` bytes, refusing empty and out-of-bounds
/// ones the way HTTP's 416 does. The whole blob (`None`) is always satisfiable.
pub(crate) fn clamp_range(range: Option<ByteRange>, size: u64) -> Result<(u64, u64), BlobError> {
    match range {
        None => Ok((0, size)),
        Some((start, end)) => {
            let end = end.min(size);
            if start >= end {
                Err(BlobError::RangeNotSatisfiable { start, end, size })
            } else {
                Ok((start, end))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_and_checked() {
        assert_eq!(clamp_range(None, 0).ok(), Some((0, 0)));
        assert_eq!(clamp_range(Some((2, 5)), 10).ok(), Some((2, 5)));
        assert_eq!(clamp_range(Some((2, 50)), 10).ok(), Some((2, 10)));
        assert!(clamp_range(Some((10, 11)), 10).is_err());
        assert!(clamp_range(Some((3, 3)), 10).is_err());
        assert!(clamp_range(Some((5, 3)), 10).is_err());
    }
}
