//! Streams large blobs through each backend while a counting allocator records the peak of
//! live heap memory: a store that buffered the whole file would show the file's size.
//! Its own test binary, with one test, so no other test's allocations are counted.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use common::TestResult;
use ferrochat_files::{
    BlobId, BlobStore, ByteStream, DatabaseStore, EncryptedStore, LocalStore, S3Config, S3Store,
};
use futures_util::StreamExt;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: u64 = 1024 * 1024;

fn generated(size: u64) -> ByteStream {
    const CHUNK: u64 = 64 * 1024;
    Box::pin(futures_util::stream::unfold(0u64, move |pos| async move {
        (pos < size).then(|| {
            let len = CHUNK.min(size - pos);
            (
                Ok(Bytes::from(vec![(pos / CHUNK) as u8; len as usize])),
                pos + len,
            )
        })
    }))
}

/// Puts and reads back `size` bytes; returns the peak heap growth over the start.
async fn peak_while_streaming(
    store: &dyn BlobStore,
    size: u64,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let id = BlobId::generate();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    assert_eq!(store.put(&id, generated(size)).await?, size);
    let mut stream = store.get(&id, None).await?;
    let mut read = 0u64;
    while let Some(chunk) = stream.next().await {
        read += chunk?.len() as u64;
    }
    drop(stream);
    assert_eq!(read, size);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base) as u64;
    store.delete(&id).await?;
    Ok(peak)
}

#[tokio::test(flavor = "current_thread")]
async fn large_blobs_stream_in_bounded_memory() -> TestResult {
    let dir = tempfile::tempdir()?;
    let local = LocalStore::open(dir.path().join("local")).await?;
    let sqlite = DatabaseStore::new(common::sqlite_store(dir.path()).await);
    let encrypted = EncryptedStore::new(local.clone(), &[7u8; 32]);
    let size = 32 * MIB;
    for (name, store) in [
        ("local", &local as &dyn BlobStore),
        ("database (SQLite)", &sqlite),
        ("encrypted local", &encrypted),
    ] {
        let peak = peak_while_streaming(store, size).await?;
        eprintln!(
            "{name}: peak heap growth {} KiB for {} MiB",
            peak / 1024,
            size / MIB
        );
        assert!(
            peak < 4 * MIB,
            "{name} held {} KiB while streaming {} MiB",
            peak / 1024,
            size / MIB
        );
    }

    let pg = common::postgres_store().await;
    let postgres = DatabaseStore::new(pg.store.clone());
    let result = peak_while_streaming(&postgres, size).await;
    pg.drop_database().await;
    let peak = result?;
    eprintln!(
        "database (PostgreSQL): peak heap growth {} KiB for {} MiB",
        peak / 1024,
        size / MIB
    );
    // sqlx keeps each pooled connection's buffers at the size of the largest message it
    // carried (a 255 KiB chunk each way): a fixed cost per connection, not per file.
    assert!(
        peak < 8 * MIB,
        "PostgreSQL store held {} KiB while streaming {} MiB",
        peak / 1024,
        size / MIB
    );

    // S3 holds a multipart part (5 MiB) and what the HTTP client copies of it.
    let bucket = format!("ferrochat-{}", common::suffix());
    let moto = common::start_moto(&bucket).await;
    let s3 = S3Store::new(&S3Config {
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        bucket,
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        prefix: "uploads/".into(),
        path_style: true,
        allow_http: true,
    })?;
    let size = 48 * MIB;
    let peak = peak_while_streaming(&s3, size).await?;
    eprintln!(
        "s3: peak heap growth {} KiB for {} MiB",
        peak / 1024,
        size / MIB
    );
    assert!(
        peak < 20 * MIB,
        "s3 held {} KiB while streaming {} MiB",
        peak / 1024,
        size / MIB
    );
    Ok(())
}
