//! Where uploaded bytes go: the blob store chosen by `FileUpload_Storage_Type` at start-up
//! (`GridFS`: chunk rows in the database, `FileSystem`: files under
//! `FileUpload_FileSystemPath` or `<DATA_DIR>/uploads`, `AmazonS3`: the `FileUpload_S3_*`
//! bucket), wrapped in AES-256-GCM when `FILE_ENCRYPTION_KEY` is set, plus the optional
//! clamd scanner (`CLAMD_URL`) and the spool directory uploads are received into.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use ferrochat_files::clamd::Clamd;
use ferrochat_files::{BlobStore, DatabaseStore, EncryptedStore, LocalStore, S3Config, S3Store};
use ferrochat_store::Store;

use crate::config::Config;
use crate::services::settings::Settings;

pub struct FileStorage {
    pub blobs: Arc<dyn BlobStore>,
    /// The backend's Rocket.Chat name, recorded with each upload.
    pub backend: &'static str,
    pub clamd: Option<Clamd>,
    /// Where uploads are received and scanned before they reach the blob store.
    pub spool: PathBuf,
}

fn with_encryption<S: BlobStore + 'static>(store: S, key: Option<&[u8; 32]>) -> Arc<dyn BlobStore> {
    match key {
        Some(key) => Arc::new(EncryptedStore::new(store, key)),
        None => Arc::new(store),
    }
}

/// `FILE_ENCRYPTION_KEY`: 32 bytes as 64 hex digits.
fn encryption_key(config: &Config) -> anyhow::Result<Option<[u8; 32]>> {
    let Some(secret) = &config.file_encryption_key else {
        return Ok(None);
    };
    let bytes = hex::decode(secret.expose().trim()).context("FILE_ENCRYPTION_KEY must be hex")?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("FILE_ENCRYPTION_KEY must be 32 bytes (64 hex digits)"))?;
    Ok(Some(key))
}

impl FileStorage {
    pub async fn open(config: &Config, settings: &Settings, store: &Store) -> anyhow::Result<Self> {
        let key = encryption_key(config)?;
        let backend = settings.string("FileUpload_Storage_Type");
        let (blobs, backend): (Arc<dyn BlobStore>, &'static str) = match backend.as_str() {
            "GridFS" => {
                let database = DatabaseStore::new(store.clone());
                // Blobs whose upload a crash cut off. Another node may be writing a large
                // upload right now, so only day-old leftovers go.
                let swept = database
                    .sweep_pending(std::time::Duration::from_secs(24 * 3600))
                    .await
                    .context("cannot sweep unfinished uploads")?;
                if swept > 0 {
                    tracing::info!(swept, "removed unfinished uploads");
                }
                (with_encryption(database, key.as_ref()), "GridFS")
            }
            "FileSystem" => {
                let configured = settings.string("FileUpload_FileSystemPath");
                let root = if configured.trim().is_empty() {
                    config.data_dir.join("uploads")
                } else {
                    PathBuf::from(configured.trim())
                };
                let local = LocalStore::open(&root)
                    .await
                    .with_context(|| format!("cannot use {} for uploads", root.display()))?;
                (with_encryption(local, key.as_ref()), "FileSystem")
            }
            "AmazonS3" => {
                let endpoint = settings.string("FileUpload_S3_BucketURL");
                let endpoint = Some(endpoint.trim().to_owned()).filter(|e| !e.is_empty());
                let s3 = S3Store::new(&S3Config {
                    allow_http: endpoint
                        .as_deref()
                        .is_some_and(|e| e.starts_with("http://")),
                    endpoint,
                    bucket: settings.string("FileUpload_S3_Bucket"),
                    region: Some(settings.string("FileUpload_S3_Region"))
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: settings.string("FileUpload_S3_AWSAccessKeyId"),
                    secret_access_key: settings.string("FileUpload_S3_AWSSecretAccessKey"),
                    prefix: String::new(),
                    path_style: settings.bool("FileUpload_S3_ForcePathStyle"),
                })
                .context("the FileUpload_S3_* settings do not describe a usable bucket")?;
                (with_encryption(s3, key.as_ref()), "AmazonS3")
            }
            other => bail!(
                "FileUpload_Storage_Type {other:?} is not supported (use GridFS, FileSystem or AmazonS3)"
            ),
        };
        let clamd = match config.clamd_url.as_deref() {
            Some(url) => Some(Clamd::from_url(url).context("CLAMD_URL")?),
            None => None,
        };
        let spool = config.data_dir.join("spool");
        tokio::fs::create_dir_all(&spool)
            .await
            .with_context(|| format!("cannot create {}", spool.display()))?;
        Ok(Self {
            blobs,
            backend,
            clamd,
            spool,
        })
    }
}
