//! The clamd client against a real clamd (Debian's clamav-daemon), started here with a
//! signature database this test writes (see `common::start_clamd`): no download needed.

mod common;

use bytes::Bytes;
use common::{EICAR, TestResult};
use ferrochat_files::ByteStream;
use ferrochat_files::clamd::{Clamd, ClamdError, ScanVerdict};

fn chunks(data: Vec<u8>, size: usize) -> ByteStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn real_clamd_finds_eicar_and_passes_clean_files() -> TestResult {
    let clamd = common::start_clamd("1M").await;
    let dir = clamd
        .dir
        .as_ref()
        .map(|d| d.path().to_path_buf())
        .ok_or("no clamd dir")?;
    let tcp = Clamd::from_url(&format!("tcp://127.0.0.1:{}", clamd.port))?;
    let unix = Clamd::from_url(&format!("unix:{}", dir.join("clamd.sock").display()))?;
    tcp.ping().await?;
    unix.ping().await?;

    // The EICAR string itself (the .hdb MD5 signature), over both transports.
    for client in [&tcp, &unix] {
        match client.scan_bytes(EICAR).await? {
            ScanVerdict::Infected(name) => {
                assert!(name.starts_with("Ferrochat.Test.EICAR"), "{name}")
            }
            ScanVerdict::Clean => panic!("EICAR passed as clean:\n{}", clamd.log_tail()),
        }
    }

    // EICAR inside a larger file, split across stream chunks (the .ndb body signature).
    let mut padded = vec![b'a'; 100_000];
    padded.extend_from_slice(EICAR);
    padded.extend(std::iter::repeat_n(b'z', 50_000));
    assert!(matches!(
        tcp.scan(chunks(padded, 7_777)).await?,
        ScanVerdict::Infected(_)
    ));

    // Clean content, in many chunks.
    let clean: Vec<u8> = (0..500_000u32).map(|i| (i % 253) as u8).collect();
    assert_eq!(
        tcp.scan(chunks(clean.clone(), 65_536)).await?,
        ScanVerdict::Clean
    );
    assert_eq!(unix.scan(chunks(clean, 1_000)).await?, ScanVerdict::Clean);
    assert_eq!(tcp.scan_bytes(b"").await?, ScanVerdict::Clean);

    // Over StreamMaxLength (1 MiB): an error, never "clean".
    let big = vec![b'x'; 3 * 1024 * 1024];
    match tcp.scan(chunks(big, 256 * 1024)).await {
        Err(ClamdError::SizeLimitExceeded) => {}
        other => panic!("expected SizeLimitExceeded, got {other:?}"),
    }

    // Nothing listening: a connection error, not a verdict.
    let gone = Clamd::from_url(&format!("tcp://127.0.0.1:{}", common::free_port()))?;
    assert!(matches!(
        gone.scan_bytes(EICAR).await,
        Err(ClamdError::Io(_))
    ));
    Ok(())
}
