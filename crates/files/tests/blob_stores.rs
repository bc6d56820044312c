//! Every `BlobStore` through the same conformance suite: local files, database chunks on
//! SQLite and PostgreSQL, S3 (a real moto server), and the encrypted wrapper over each kind.

mod common;

use std::io;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use common::TestResult;
use ferrochat_files::{
    BlobError, BlobId, BlobStore, ByteStream, DB_CHUNK_SIZE, DatabaseStore, EncryptedStore,
    LocalStore, S3Config, S3Store, SEGMENT_SIZE,
};
use ferrochat_store::Store;
use futures_util::StreamExt;

const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

/// Deterministic content: the byte at each position, so large blobs can be generated and
/// checked chunk by chunk without ever existing whole in memory.
fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

fn bytes_at(start: u64, len: usize) -> Vec<u8> {
    (start..start + len as u64).map(byte_at).collect()
}

/// `size` bytes in chunks of an odd size (so they never line up with a backend's chunks),
/// generated as the store pulls them.
fn generated(size: u64) -> ByteStream {
    const CHUNK: u64 = 100_003;
    Box::pin(futures_util::stream::unfold(0u64, move |pos| async move {
        (pos < size).then(|| {
            let len = CHUNK.min(size - pos);
            (Ok(Bytes::from(bytes_at(pos, len as usize))), pos + len)
        })
    }))
}

fn from_chunks(chunks: &[&[u8]]) -> ByteStream {
    let chunks: Vec<Result<Bytes, io::Error>> = chunks
        .iter()
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

/// `size` bytes, then a failure (a client that breaks off).
fn cut_off(size: u64) -> ByteStream {
    let failure = futures_util::stream::once(async {
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client gone",
        ))
    });
    Box::pin(generated(size).chain(failure))
}

/// `size` bytes, then nothing ever again (a client that stalls until the server gives up).
fn stalled(size: u64) -> ByteStream {
    Box::pin(generated(size).chain(futures_util::stream::pending()))
}

async fn read_all(
    store: &dyn BlobStore,
    id: &BlobId,
    range: Option<(u64, u64)>,
) -> Result<Vec<u8>, BlobError> {
    let mut stream = store.get(id, range).await?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// Reads a range and checks it against the generator as it streams; returns the length.
async fn check_generated(
    store: &dyn BlobStore,
    id: &BlobId,
    range: Option<(u64, u64)>,
    start: u64,
) -> Result<u64, BlobError> {
    let mut stream = store.get(id, range).await?;
    let mut pos = start;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        assert!(
            chunk
                .iter()
                .enumerate()
                .all(|(i, b)| *b == byte_at(pos + i as u64)),
            "wrong bytes near offset {pos}"
        );
        pos += chunk.len() as u64;
    }
    Ok(pos - start)
}

/// Where a backend could leave the remains of a failed upload.
enum Remains<'a> {
    Dir(&'a Path),
    Db(&'a Store),
    S3 { port: u16, bucket: &'a str },
}

impl Remains<'_> {
    /// Anything stored for `id`, complete or not.
    async fn of(&self, id: &BlobId) -> Vec<String> {
        match self {
            Remains::Dir(root) => {
                let mut found = Vec::new();
                let mut dirs = vec![root.to_path_buf()];
                while let Some(dir) = dirs.pop() {
                    for entry in std::fs::read_dir(&dir).expect("read store dir").flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            dirs.push(path);
                        } else if path.to_string_lossy().contains(id.as_str()) {
                            found.push(path.display().to_string());
                        }
                    }
                }
                found
            }
            Remains::Db(store) => match store
                .blob_row_counts(id.as_str())
                .await
                .expect("count rows")
            {
                (0, 0) => vec![],
                (files, chunks) => vec![format!("{files} file rows, {chunks} chunk rows")],
            },
            Remains::S3 { port, bucket } => {
                let (status, body) =
                    common::http(*port, "GET", &format!("/{bucket}?uploads")).await;
                assert_eq!(status, 200, "list multipart uploads: {body}");
                let mut found = Vec::new();
                if body.contains(id.as_str()) {
                    found.push(format!("multipart upload: {body}"));
                }
                let (status, _) = common::http(*port, "HEAD", &format!("/{bucket}/{id}")).await;
                if status != 404 {
                    found.push(format!("object (HEAD {status})"));
                }
                found
            }
        }
    }

    async fn wait_clean(&self, id: &BlobId) {
        let mut left = self.of(id).await;
        for _ in 0..100 {
            if left.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            left = self.of(id).await;
        }
        panic!("a cut-off upload left {left:?}");
    }
}

/// The suite. `large` is the size of the streaming test (above 1 MiB; above S3's part size
/// where multipart matters); `cut` how much a cut-off upload sends before it breaks.
async fn conformance(
    store: &dyn BlobStore,
    remains: Remains<'_>,
    large: u64,
    cut: u64,
) -> TestResult {
    // Put, size, get, ranges.
    let id = BlobId::generate();
    let data = bytes_at(0, 1000);
    assert_eq!(
        store
            .put(&id, from_chunks(&[&data[..1], &data[1..600], &data[600..]]))
            .await?,
        1000
    );
    assert_eq!(store.size(&id).await?, Some(1000));
    assert!(store.exists(&id).await?);
    assert_eq!(read_all(store, &id, None).await?, data);
    assert_eq!(read_all(store, &id, Some((0, 1))).await?, &data[..1]);
    assert_eq!(read_all(store, &id, Some((10, 500))).await?, &data[10..500]);
    assert_eq!(read_all(store, &id, Some((999, 1000))).await?, &data[999..]);
    assert_eq!(
        read_all(store, &id, Some((500, 5000))).await?,
        &data[500..],
        "end is clamped"
    );
    for bad in [(1000, 1001), (5, 5), (7, 3)] {
        assert!(
            matches!(
                store.get(&id, Some(bad)).await,
                Err(BlobError::RangeNotSatisfiable { .. })
            ),
            "range {bad:?}"
        );
    }

    // Ids are never overwritten.
    assert!(matches!(
        store.put(&id, from_chunks(&[b"other"])).await,
        Err(BlobError::AlreadyExists)
    ));
    assert_eq!(read_all(store, &id, None).await?, data);

    // Missing ids.
    let missing = BlobId::generate();
    assert!(matches!(
        store.get(&missing, None).await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(store.size(&missing).await?, None);
    assert!(!store.exists(&missing).await?);
    assert!(!store.delete(&missing).await?);

    // Delete.
    assert!(store.delete(&id).await?);
    assert!(!store.exists(&id).await?);
    assert!(matches!(
        store.get(&id, None).await,
        Err(BlobError::NotFound)
    ));
    assert!(!store.delete(&id).await?);
    assert!(remains.of(&id).await.is_empty());

    // Empty blob.
    let empty = BlobId::generate();
    assert_eq!(store.put(&empty, from_chunks(&[])).await?, 0);
    assert_eq!(store.size(&empty).await?, Some(0));
    assert!(read_all(store, &empty, None).await?.is_empty());
    assert!(matches!(
        store.get(&empty, Some((0, 1))).await,
        Err(BlobError::RangeNotSatisfiable { .. })
    ));
    assert!(store.delete(&empty).await?);

    // A large blob, streamed in and out and checked as it streams.
    let big = BlobId::generate();
    assert_eq!(store.put(&big, generated(large)).await?, large);
    assert_eq!(store.size(&big).await?, Some(large));
    assert_eq!(check_generated(store, &big, None, 0).await?, large);
    let db = DB_CHUNK_SIZE as u64;
    let seg = SEGMENT_SIZE as u64;
    for (start, end) in [
        (db - 10, 2 * db + 10),
        (3 * seg - 1, 3 * seg + 1),
        (seg, 2 * seg),
        (large - 7, large),
        (large / 2, large / 2 + 1),
    ] {
        assert_eq!(
            check_generated(store, &big, Some((start, end)), start).await?,
            end - start,
            "range {start}..{end}"
        );
    }
    assert!(store.delete(&big).await?);

    // An upload that breaks off leaves nothing.
    let broken = BlobId::generate();
    assert!(matches!(
        store.put(&broken, cut_off(cut)).await,
        Err(BlobError::Source(_))
    ));
    assert!(!store.exists(&broken).await?);
    remains.wait_clean(&broken).await;

    // So does one whose future is dropped half way (the request handler of a client that
    // went away).
    let dropped = BlobId::generate();
    let put = tokio::time::timeout(Duration::from_secs(2), store.put(&dropped, stalled(cut))).await;
    assert!(put.is_err(), "a stalled upload cannot finish");
    assert!(!store.exists(&dropped).await?);
    remains.wait_clean(&dropped).await;
    Ok(())
}

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn local_store() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = LocalStore::open(dir.path().join("blobs")).await?;
    conformance(&store, Remains::Dir(dir.path()), 3 * MIB, 300_000).await
}

#[tokio::test]
async fn local_store_encrypted() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = EncryptedStore::new(LocalStore::open(dir.path()).await?, &KEY);
    conformance(&store, Remains::Dir(dir.path()), 2 * MIB, 300_000).await
}

#[tokio::test]
async fn database_store_sqlite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = common::sqlite_store(dir.path()).await;
    conformance(
        &DatabaseStore::new(db.clone()),
        Remains::Db(&db),
        3 * MIB,
        600_000,
    )
    .await?;
    let encrypted = EncryptedStore::new(DatabaseStore::new(db.clone()), &KEY);
    conformance(&encrypted, Remains::Db(&db), 2 * MIB, 600_000).await?;

    // What a crash in the middle of an upload leaves is removed by the start-up sweep, and
    // only once it is older than the grace period (an upload may still be running).
    let orphan = BlobId::generate();
    let long_ago = 1_000;
    db.begin_blob(orphan.as_str(), DB_CHUNK_SIZE as i64, long_ago)
        .await?;
    db.put_blob_chunk(orphan.as_str(), 0, b"half").await?;
    let running = BlobId::generate();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    db.begin_blob(running.as_str(), DB_CHUNK_SIZE as i64, now)
        .await?;
    let store = DatabaseStore::new(db.clone());
    assert!(
        !store.exists(&orphan).await?,
        "incomplete blobs are invisible"
    );
    assert_eq!(store.sweep_pending(Duration::from_secs(3600)).await?, 1);
    assert_eq!(db.blob_row_counts(orphan.as_str()).await?, (0, 0));
    assert_eq!(db.blob_row_counts(running.as_str()).await?, (1, 0));
    Ok(())
}

#[tokio::test]
async fn database_store_postgres() -> TestResult {
    let pg = common::postgres_store().await;
    let result = conformance(
        &DatabaseStore::new(pg.store.clone()),
        Remains::Db(&pg.store),
        3 * MIB,
        600_000,
    )
    .await;
    pg.drop_database().await;
    result
}

#[tokio::test]
async fn s3_store() -> TestResult {
    let bucket = format!("ferrochat-{}", common::suffix());
    let moto = common::start_moto(&bucket).await;
    let config = S3Config {
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        bucket: bucket.clone(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        prefix: String::new(),
        path_style: true,
        allow_http: true,
    };
    let store = S3Store::new(&config)?;
    let remains = Remains::S3 {
        port: moto.port,
        bucket: &bucket,
    };
    // Large enough for three multipart parts; cut after the first part was sent.
    conformance(&store, remains, 12 * MIB, 6 * MIB).await?;
    let encrypted = EncryptedStore::new(store, &KEY);
    let remains = Remains::S3 {
        port: moto.port,
        bucket: &bucket,
    };
    conformance(&encrypted, remains, 6 * MIB, 300_000).await
}

#[tokio::test]
async fn encrypted_blobs_are_opaque_and_authenticated() -> TestResult {
    let dir = tempfile::tempdir()?;
    let local = LocalStore::open(dir.path()).await?;
    let store = EncryptedStore::new(local.clone(), &KEY);
    let id = BlobId::generate();
    let secret = b"attack at dawn, attack at dawn, attack at dawn".repeat(3000);
    store.put(&id, from_chunks(&[&secret])).await?;
    let raw = read_all(&local, &id, None).await?;
    assert!(
        !raw.windows(14).any(|w| w == b"attack at dawn"),
        "plaintext visible at rest"
    );

    // The wrong key fails, it does not return garbage.
    let wrong = EncryptedStore::new(local.clone(), &[9u8; 32]);
    assert!(matches!(
        read_all(&wrong, &id, None).await,
        Err(BlobError::Tampered)
    ));

    // Truncated at a segment boundary, or by a byte: refused.
    for cut in [
        raw.len() - (secret.len() % SEGMENT_SIZE + 16),
        raw.len() - 1,
    ] {
        let other = BlobId::generate();
        local.put(&other, from_chunks(&[&raw[..cut]])).await?;
        assert!(
            read_all(&store, &other, None).await.is_err(),
            "truncated to {cut} bytes"
        );
    }
    // A flipped bit anywhere: refused.
    let mut flipped = raw.clone();
    flipped[raw.len() / 2] ^= 1;
    let other = BlobId::generate();
    local.put(&other, from_chunks(&[&flipped])).await?;
    assert!(matches!(
        read_all(&store, &other, None).await,
        Err(BlobError::Tampered)
    ));
    // The same bytes under another id: refused (the id is authenticated).
    let copy = BlobId::generate();
    local.put(&copy, from_chunks(&[&raw])).await?;
    assert!(matches!(
        read_all(&store, &copy, None).await,
        Err(BlobError::Tampered)
    ));
    Ok(())
}

#[tokio::test]
async fn local_store_layout_is_sharded_and_clean() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = LocalStore::open(dir.path()).await?;
    let id = BlobId::parse("abcdefghijklmnopqrstuvwx")?;
    store.put(&id, from_chunks(&[b"hello"])).await?;
    assert_eq!(
        std::fs::read(dir.path().join("ab").join(id.as_str()))?,
        b"hello"
    );
    // Only the blob itself: no temporary file was left next to it.
    assert_eq!(std::fs::read_dir(dir.path().join("ab"))?.count(), 1);
    Ok(())
}
