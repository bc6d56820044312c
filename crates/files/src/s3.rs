//! Blobs as objects in an S3-compatible object store.
//!
//! Built on the `object_store` crate (Apache Arrow's, used by DataFusion, Delta Lake and
//! others): a maintained S3 client with SigV4, path-style addressing for S3-compatible
//! servers, streaming ranged GETs and the multipart API, over reqwest with rustls. Version
//! 0.12 is used because it is the last line on `ring` and reqwest 0.12, which the workspace
//! already builds; 0.13 moved to `aws-lc-rs`, a large C build, for no feature needed here.
//! (`aws-sdk-s3` was the alternative: complete, but several times the compile time.)
//!
//! Uploads smaller than one part are sent with a single PUT. Larger ones use a multipart
//! upload whose parts are sent one at a time as the stream fills them, so memory holds at
//! most one part ([`S3_PART_SIZE`], S3's minimum for all but the last part). An upload that
//! fails or is dropped is aborted, so no parts linger (S3 bills for them) and no object
//! appears: S3 makes a multipart object visible only when it is completed.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, MultipartUpload, ObjectStore, PutPayload};

use crate::store::{ByteRange, clamp_range};
use crate::{BlobError, BlobId, BlobStore, BlobStream, ByteStream};

/// Size of a multipart part: S3's minimum for all parts but the last.
pub const S3_PART_SIZE: usize = 5 * 1024 * 1024;

/// Where and how to reach the bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// Endpoint URL for S3-compatible servers (`http://127.0.0.1:9000`); `None` for AWS.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Key prefix for every blob, e.g. `uploads/` (may be empty).
    pub prefix: String,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub path_style: bool,
    /// Allow a plain `http://` endpoint (local servers, tests).
    pub allow_http: bool,
}

/// An S3 (or compatible) bucket.
#[derive(Clone)]
pub struct S3Store {
    client: Arc<dyn ObjectStore>,
    prefix: String,
}

impl S3Store {
    pub fn new(config: &S3Config) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        Ok(Self {
            client: Arc::new(builder.build()?),
            prefix: config.prefix.clone(),
        })
    }

    fn key(&self, id: &BlobId) -> Path {
        // The id alphabet needs no escaping and contains no `/`, so the key is exactly
        // prefix + id; `Path::from` splits the prefix on its `/`s.
        Path::from(format!("{}{}", self.prefix, id.as_str()))
    }
}

fn not_found(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        e => BlobError::ObjectStore(e),
    }
}

/// Aborts a multipart upload that did not complete, including when the `put` future is
/// dropped; drop cannot await, so that abort runs as a task on the current runtime.
struct PendingUpload {
    upload: Option<Box<dyn MultipartUpload>>,
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let Some(mut upload) = self.upload.take() else {
            return;
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error = %e, "could not abort a multipart upload");
                }
            });
        }
    }
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put(&self, id: &BlobId, mut data: ByteStream) -> Result<u64, BlobError> {
        let key = self.key(id);
        // Ids are 144-bit random values, so a taken id means a caller bug; a check before
        // the upload is enough (S3 has no if-absent condition for multipart completion).
        match self.client.head(&key).await {
            Ok(_) => return Err(BlobError::AlreadyExists),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let mut buf = BytesMut::with_capacity(S3_PART_SIZE);
        let mut size = 0u64;
        let mut pending = PendingUpload { upload: None };
        while let Some(chunk) = data.next().await {
            let mut chunk = chunk.map_err(BlobError::Source)?;
            size += chunk.len() as u64;
            while !chunk.is_empty() {
                let take = (S3_PART_SIZE - buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk.split_to(take));
                if buf.len() == S3_PART_SIZE {
                    let upload = match &mut pending.upload {
                        Some(upload) => upload,
                        None => pending
                            .upload
                            .insert(self.client.put_multipart(&key).await?),
                    };
                    let part = PutPayload::from_bytes(buf.split().freeze());
                    upload.put_part(part).await?;
                }
            }
        }
        let last_is_empty = buf.is_empty();
        let last = PutPayload::from_bytes(buf.freeze());
        match pending.upload.take() {
            None => {
                self.client.put(&key, last).await?;
            }
            Some(mut upload) => {
                // Put back so that a failure below still aborts through the guard.
                let result = async {
                    if !last_is_empty {
                        upload.put_part(last).await?;
                    }
                    upload.complete().await
                }
                .await;
                if let Err(e) = result {
                    pending.upload = Some(upload);
                    return Err(e.into());
                }
            }
        }
        Ok(size)
    }

    async fn get(&self, id: &BlobId, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        let key = self.key(id);
        let size = self.client.head(&key).await.map_err(not_found)?.size;
        let (start, end) = clamp_range(range, size)?;
        if start == end {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..end)),
            ..GetOptions::default()
        };
        let result = self
            .client
            .get_opts(&key, options)
            .await
            .map_err(not_found)?;
        Ok(Box::pin(result.into_stream().map_err(BlobError::from)))
    }

    async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        let key = self.key(id);
        // S3's DELETE succeeds for a missing key too; the HEAD tells the two apart.
        match self.client.head(&key).await {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        self.client.delete(&key).await?;
        Ok(true)
    }

    async fn size(&self, id: &BlobId) -> Result<Option<u64>, BlobError> {
        match self.client.head(&self.key(id)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
