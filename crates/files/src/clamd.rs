//! A ClamAV daemon client: streams a file through clamd's `INSTREAM` command.
//!
//! Protocol (clamd(8)): send `zINSTREAM\0`, then the data as chunks each prefixed by its
//! length as a 4-byte big-endian integer, then a zero length; clamd answers one
//! NUL-terminated line: `stream: OK`, `stream: <signature> FOUND` or `<reason> ERROR`. clamd
//! stops reading and answers `INSTREAM size limit exceeded. ERROR` once the data passes its
//! `StreamMaxLength`; the client then sees a failed write, so it reads the answer before
//! reporting a write error.
//!
//! Addresses: `tcp://host:port` or `unix:/path/to/clamd.ctl` (also `unix:///path`).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::ByteStream;

/// The largest chunk sent in one frame. clamd accepts any size up to its limit; 64 KiB
/// keeps frames small without many syscalls.
const FRAME: usize = 64 * 1024;
/// The longest answer accepted; real ones are a signature name long.
const MAX_REPLY: usize = 4096;

/// What clamd said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    /// Matched a signature (its name, e.g. `Win.Test.EICAR_HDB-1`).
    Infected(String),
}

/// Why a scan gave no verdict.
#[derive(Debug, thiserror::Error)]
pub enum ClamdError {
    #[error("invalid clamd address {0:?} (expected tcp://host:port or unix:/path)")]
    InvalidAddress(String),
    /// The file is larger than clamd's `StreamMaxLength`: it was not scanned.
    #[error("file exceeds clamd's stream size limit")]
    SizeLimitExceeded,
    /// clamd answered with an error (its text).
    #[error("clamd error: {0}")]
    Daemon(String),
    /// clamd answered something this client does not understand.
    #[error("unexpected clamd reply: {0:?}")]
    Protocol(String),
    #[error("clamd timed out")]
    Timeout,
    #[error("clamd connection failed: {0}")]
    Io(#[from] io::Error),
    /// The file's own stream failed (the upload broke off).
    #[error("upload stream failed: {0}")]
    Source(io::Error),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Address {
    Tcp(String),
    Unix(PathBuf),
}

/// A clamd endpoint. Each scan opens its own connection (clamd serves one command per
/// connection unless asked for sessions, and a fresh connection never inherits a broken one).
#[derive(Debug, Clone)]
pub struct Clamd {
    address: Address,
    /// Limit on connecting and on waiting for the verdict once the data is sent. Sending is
    /// not limited: it goes at the pace of the upload being scanned.
    timeout: Duration,
}

trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

impl Clamd {
    /// Parses `tcp://host:port` or `unix:/path`. The timeout defaults to 60 s (clamd
    /// scanning a large archive can take a while).
    pub fn from_url(url: &str) -> Result<Self, ClamdError> {
        let invalid = || ClamdError::InvalidAddress(url.to_owned());
        let address = if let Some(rest) = url.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            match rest.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Address::Tcp(rest.to_owned())
                }
                _ => return Err(invalid()),
            }
        } else if let Some(path) = url.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if !path.starts_with('/') {
                return Err(invalid());
            }
            Address::Unix(PathBuf::from(path))
        } else {
            return Err(invalid());
        };
        Ok(Self {
            address,
            timeout: Duration::from_secs(60),
        })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn connect(&self) -> Result<Box<dyn Connection>, ClamdError> {
        let connect = async {
            Ok::<Box<dyn Connection>, io::Error>(match &self.address {
                Address::Tcp(addr) => Box::new(TcpStream::connect(addr).await?),
                Address::Unix(path) => Box::new(UnixStream::connect(path).await?),
            })
        };
        tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| ClamdError::Timeout)?
            .map_err(ClamdError::Io)
    }

    /// `PING` → `PONG`: whether clamd is up.
    pub async fn ping(&self) -> Result<(), ClamdError> {
        let mut conn = self.connect().await?;
        conn.write_all(b"zPING\0").await?;
        match self.reply(&mut conn).await?.as_str() {
            "PONG" => Ok(()),
            other => Err(ClamdError::Protocol(other.to_owned())),
        }
    }

    /// Scans bytes already in memory.
    pub async fn scan_bytes(&self, data: &[u8]) -> Result<ScanVerdict, ClamdError> {
        let data = Bytes::copy_from_slice(data);
        self.scan(Box::pin(futures_util::stream::once(async { Ok(data) })))
            .await
    }

    /// Streams `data` to clamd and returns its verdict.
    pub async fn scan(&self, mut data: ByteStream) -> Result<ScanVerdict, ClamdError> {
        let mut conn = self.connect().await?;
        let sent = async {
            conn.write_all(b"zINSTREAM\0").await?;
            while let Some(chunk) = data.next().await {
                let chunk = chunk.map_err(ClamdError::Source)?;
                for frame in chunk.chunks(FRAME) {
                    // A frame is at most FRAME bytes, so the length fits in u32.
                    conn.write_all(&(frame.len() as u32).to_be_bytes()).await?;
                    conn.write_all(frame).await?;
                }
            }
            conn.write_all(&0u32.to_be_bytes()).await?;
            conn.flush().await?;
            Ok::<(), ClamdError>(())
        }
        .await;
        match sent {
            Ok(()) => parse_reply(&self.reply(&mut conn).await?),
            Err(ClamdError::Io(write_error)) => {
                // clamd may have stopped reading on purpose (size limit): its answer says
                // why, and is more useful than "broken pipe".
                match self.reply(&mut conn).await {
                    Ok(reply) if !reply.is_empty() => match parse_reply(&reply) {
                        Ok(_) => Err(ClamdError::Io(write_error)),
                        Err(e) => Err(e),
                    },
                    _ => Err(ClamdError::Io(write_error)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Reads one NUL-terminated (or connection-terminated) reply.
    async fn reply(&self, conn: &mut Box<dyn Connection>) -> Result<String, ClamdError> {
        let read = async {
            let mut reply = Vec::new();
            let mut buf = [0u8; 512];
            loop {
                let n = conn.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                reply.extend_from_slice(&buf[..n]);
                if reply.contains(&0) || reply.len() > MAX_REPLY {
                    break;
                }
            }
            Ok::<_, io::Error>(reply)
        };
        let reply = tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| ClamdError::Timeout)??;
        let end = reply.iter().position(|b| *b == 0).unwrap_or(reply.len());
        Ok(String::from_utf8_lossy(&reply[..end]).trim().to_owned())
    }
}

/// Turns clamd's answer to `INSTREAM` into a verdict or an error.
fn parse_reply(reply: &str) -> Result<ScanVerdict, ClamdError> {
    if reply.contains("size limit exceeded") {
        return Err(ClamdError::SizeLimitExceeded);
    }
    if let Some(error) = reply.strip_suffix(" ERROR") {
        return Err(ClamdError::Daemon(error.trim().to_owned()));
    }
    let Some(result) = reply.strip_prefix("stream:").map(str::trim) else {
        return Err(ClamdError::Protocol(reply.to_owned()));
    };
    if result == "OK" {
        return Ok(ScanVerdict::Clean);
    }
    match result.strip_suffix(" FOUND") {
        Some(name) if !name.trim().is_empty() => Ok(ScanVerdict::Infected(name.trim().to_owned())),
        _ => Err(ClamdError::Protocol(reply.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        assert_eq!(
            Clamd::from_url("tcp://127.0.0.1:3310")
                .map(|c| c.address)
                .ok(),
            Some(Address::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            Clamd::from_url("unix:/run/clamav/clamd.ctl")
                .map(|c| c.address)
                .ok(),
            Some(Address::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert_eq!(
            Clamd::from_url("unix:///run/clamd.sock")
                .map(|c| c.address)
                .ok(),
            Some(Address::Unix("/run/clamd.sock".into()))
        );
        for bad in [
            "",
            "tcp://host",
            "tcp://:3310",
            "tcp://h:99999",
            "unix:relative",
            "http://x:1",
        ] {
            assert!(
                matches!(Clamd::from_url(bad), Err(ClamdError::InvalidAddress(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn parses_replies() {
        assert_eq!(parse_reply("stream: OK").ok(), Some(ScanVerdict::Clean));
        assert_eq!(
            parse_reply("stream: Win.Test.EICAR_HDB-1 FOUND").ok(),
            Some(ScanVerdict::Infected("Win.Test.EICAR_HDB-1".into()))
        );
        assert!(matches!(
            parse_reply("INSTREAM size limit exceeded. ERROR"),
            Err(ClamdError::SizeLimitExceeded)
        ));
        assert!(matches!(
            parse_reply("stream: Can't allocate memory ERROR"),
            Err(ClamdError::Daemon(m)) if m.contains("allocate")
        ));
        assert!(matches!(parse_reply("PONG"), Err(ClamdError::Protocol(_))));
        assert!(matches!(
            parse_reply("stream:  FOUND"),
            Err(ClamdError::Protocol(_))
        ));
    }

    /// A fake clamd on a socket: checks the framing byte for byte and answers.
    #[tokio::test]
    async fn frames_data_as_clamd_expects() -> Result<(), Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await?;
            let mut cmd = [0u8; 10];
            sock.read_exact(&mut cmd).await?;
            assert_eq!(&cmd, b"zINSTREAM\0");
            let mut received = Vec::new();
            let mut frames = 0;
            loop {
                let mut len = [0u8; 4];
                sock.read_exact(&mut len).await?;
                let len = u32::from_be_bytes(len) as usize;
                if len == 0 {
                    break;
                }
                assert!(len <= FRAME);
                frames += 1;
                let mut data = vec![0u8; len];
                sock.read_exact(&mut data).await?;
                received.extend_from_slice(&data);
            }
            sock.write_all(b"stream: OK\0").await?;
            Ok::<_, io::Error>((received, frames))
        });
        let clamd = Clamd::from_url(&format!("tcp://{addr}"))?;
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(clamd.scan_bytes(&data).await?, ScanVerdict::Clean);
        let (received, frames) = server.await??;
        assert_eq!(received, data);
        assert_eq!(frames, 4);
        Ok(())
    }
}
