//! Encryption at rest for any [`BlobStore`]: AES-256-GCM in fixed-size segments.
//!
//! One GCM message for a whole file would need the whole file before its tag can be checked,
//! so neither streaming nor ranges would work. Instead the blob is cut into segments of
//! [`SEGMENT_SIZE`] plaintext bytes, each sealed on its own (the STREAM construction of
//! Hoang, Reyhanitabar, Rogaway and Vizár, as used by Tink and age):
//!
//! ```text
//! stored = header || seal(segment 0) || seal(segment 1) || ... || seal(last segment)
//! header = "FCE" || version (1) || nonce prefix (7 random bytes, fresh per blob)
//! nonce  = nonce prefix || segment index (u32, big-endian) || last flag (0 or 1)
//! aad    = header || blob id
//! ```
//!
//! * Each segment's nonce is unique under the key: a random per-blob prefix (56 bits) plus
//!   a counter. Segments cannot be reordered (the index is in the nonce), and the last one
//!   carries a flag, so cutting the blob at a segment boundary fails authentication instead
//!   of yielding a shorter file. An empty file is one empty, flagged segment.
//! * The blob id is authenticated data, so a stored blob copied under another id does not
//!   decrypt.
//! * A ranged read fetches and opens only the segments the range overlaps (plus the header).
//! * The stored size determines the segment count, so the plaintext size is computed
//!   without reading the blob.

use std::io;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};

use crate::store::{ByteRange, clamp_range};
use crate::{BlobError, BlobId, BlobStore, BlobStream, ByteStream};

/// Plaintext bytes per segment.
pub const SEGMENT_SIZE: usize = 64 * 1024;
const TAG: usize = 16;
const SEALED: u64 = (SEGMENT_SIZE + TAG) as u64;
const PREFIX: usize = 7;
const MAGIC: &[u8; 4] = b"FCE\x01";
const HEADER: usize = MAGIC.len() + PREFIX;

/// A [`BlobStore`] that encrypts what it stores in `S`.
pub struct EncryptedStore<S> {
    inner: S,
    cipher: Aes256Gcm,
}

impl<S> EncryptedStore<S> {
    /// Wraps `inner` with a 256-bit key (the server reads it from its environment).
    pub fn new(inner: S, key: &[u8; 32]) -> Self {
        Self {
            inner,
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

fn nonce(prefix: &[u8; PREFIX], index: u64, last: bool) -> Result<[u8; 12], BlobError> {
    // 2^32 segments of 64 KiB are 256 TiB: far past any upload limit, but refuse rather
    // than reuse a nonce.
    let index =
        u32::try_from(index).map_err(|_| BlobError::Corrupt("blob too large to encrypt".into()))?;
    let mut n = [0u8; 12];
    n[..PREFIX].copy_from_slice(prefix);
    n[PREFIX..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Ok(n)
}

fn aad(header: &[u8], id: &BlobId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + id.as_str().len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(id.as_str().as_bytes());
    aad
}

/// Number of sealed segments and plaintext size for a stored size.
fn layout(stored: u64) -> Result<(u64, u64), BlobError> {
    let body = stored
        .checked_sub(HEADER as u64)
        .filter(|b| *b >= TAG as u64)
        .ok_or(BlobError::Tampered)?;
    let segments = body.div_ceil(SEALED);
    let last = body - (segments - 1) * SEALED;
    if last < TAG as u64 {
        return Err(BlobError::Tampered);
    }
    Ok((segments, body - segments * TAG as u64))
}

struct Sealer {
    input: ByteStream,
    cipher: Aes256Gcm,
    header: [u8; HEADER],
    aad: Vec<u8>,
    pending: BytesMut,
    index: u64,
    started: bool,
    done: bool,
}

impl Sealer {
    fn seal(&mut self, plain: &[u8], last: bool) -> io::Result<Bytes> {
        let prefix: [u8; PREFIX] = self.header[MAGIC.len()..]
            .try_into()
            .map_err(io::Error::other)?;
        let nonce = nonce(&prefix, self.index, last).map_err(io::Error::other)?;
        self.index += 1;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &self.aad,
                },
            )
            .map_err(|_| io::Error::other("encryption failed"))?;
        Ok(Bytes::from(sealed))
    }

    /// The next stored chunk. A full segment is sealed only once more input shows it is not
    /// the last one; the end of the input seals what is left with the last flag.
    async fn next(mut self) -> io::Result<Option<(Bytes, Self)>> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.started = true;
            return Ok(Some((Bytes::copy_from_slice(&self.header), self)));
        }
        loop {
            if self.pending.len() > SEGMENT_SIZE {
                let plain = self.pending.split_to(SEGMENT_SIZE);
                let sealed = self.seal(&plain, false)?;
                return Ok(Some((sealed, self)));
            }
            match self.input.next().await {
                Some(chunk) => self.pending.extend_from_slice(&chunk?),
                None => {
                    let plain = std::mem::take(&mut self.pending);
                    let sealed = self.seal(&plain, true)?;
                    self.done = true;
                    return Ok(Some((sealed, self)));
                }
            }
        }
    }
}

#[async_trait]
impl<S: BlobStore> BlobStore for EncryptedStore<S> {
    async fn put(&self, id: &BlobId, data: ByteStream) -> Result<u64, BlobError> {
        let mut header = [0u8; HEADER];
        header[..MAGIC.len()].copy_from_slice(MAGIC);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut header[MAGIC.len()..]);
        let sealer = Sealer {
            input: data,
            cipher: self.cipher.clone(),
            aad: aad(&header, id),
            header,
            pending: BytesMut::new(),
            index: 0,
            started: false,
            done: false,
        };
        let sealed = futures_util::stream::try_unfold(sealer, Sealer::next);
        let stored = self.inner.put(id, Box::pin(sealed)).await?;
        Ok(layout(stored)?.1)
    }

    async fn get(&self, id: &BlobId, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        let stored = self.inner.size(id).await?.ok_or(BlobError::NotFound)?;
        let (segments, size) = layout(stored)?;
        let (start, end) = clamp_range(range, size)?;
        let mut header = Vec::with_capacity(HEADER);
        let mut header_stream = self.inner.get(id, Some((0, HEADER as u64))).await?;
        while let Some(chunk) = header_stream.try_next().await? {
            header.extend_from_slice(&chunk);
        }
        if header.len() != HEADER || &header[..MAGIC.len()] != MAGIC {
            return Err(BlobError::Tampered);
        }
        let prefix: [u8; PREFIX] = header[MAGIC.len()..]
            .try_into()
            .map_err(|_| BlobError::Tampered)?;
        // Segments to open: those overlapping start..end; an empty blob still has one.
        let first = start / SEGMENT_SIZE as u64;
        let last = if end > start {
            (end - 1) / SEGMENT_SIZE as u64
        } else {
            first
        };
        let from = HEADER as u64 + first * SEALED;
        let to = (HEADER as u64 + (last + 1) * SEALED).min(stored);
        let source = self.inner.get(id, Some((from, to))).await?;
        let state = Opener {
            source,
            cipher: self.cipher.clone(),
            aad: aad(&header, id),
            prefix,
            buf: BytesMut::new(),
            index: first,
            last_index: last,
            final_index: segments - 1,
            start,
            end,
        };
        Ok(Box::pin(futures_util::stream::try_unfold(
            state,
            Opener::next,
        )))
    }

    async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        self.inner.delete(id).await
    }

    async fn size(&self, id: &BlobId) -> Result<Option<u64>, BlobError> {
        match self.inner.size(id).await? {
            Some(stored) => Ok(Some(layout(stored)?.1)),
            None => Ok(None),
        }
    }
}

struct Opener {
    source: BlobStream,
    cipher: Aes256Gcm,
    aad: Vec<u8>,
    prefix: [u8; PREFIX],
    buf: BytesMut,
    /// Next segment to open, and the last one the range needs.
    index: u64,
    last_index: u64,
    /// The blob's final segment, opened with the last flag.
    final_index: u64,
    start: u64,
    end: u64,
}

impl Opener {
    async fn next(mut self) -> Result<Option<(Bytes, Self)>, BlobError> {
        loop {
            if self.index > self.last_index {
                return Ok(None);
            }
            let is_final = self.index == self.final_index;
            let want = SEALED as usize;
            if self.buf.len() >= want {
                let sealed = self.buf.split_to(want);
                return self.open(&sealed, is_final).map(|b| Some((b, self)));
            }
            match self.source.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => {
                    // The source is exhausted: what is buffered must be the final segment.
                    if !is_final || self.buf.len() < TAG {
                        return Err(BlobError::Tampered);
                    }
                    let sealed = std::mem::take(&mut self.buf);
                    return self.open(&sealed, true).map(|b| Some((b, self)));
                }
            }
        }
    }

    fn open(&mut self, sealed: &[u8], last: bool) -> Result<Bytes, BlobError> {
        let index = self.index;
        let nonce = nonce(&self.prefix, index, last)?;
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: sealed,
                    aad: &self.aad,
                },
            )
            .map_err(|_| BlobError::Tampered)?;
        self.index += 1;
        let seg_start = index * SEGMENT_SIZE as u64;
        let from = self.start.saturating_sub(seg_start).min(plain.len() as u64) as usize;
        let to = (self.end.saturating_sub(seg_start)).min(plain.len() as u64) as usize;
        Ok(Bytes::from(plain).slice(from..to.max(from)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_what_the_sealer_writes() {
        // empty: header + one tag
        assert_eq!(layout((HEADER + TAG) as u64).ok(), Some((1, 0)));
        let one = (HEADER + SEGMENT_SIZE + TAG) as u64;
        assert_eq!(layout(one).ok(), Some((1, SEGMENT_SIZE as u64)));
        assert_eq!(
            layout(one + TAG as u64 + 1).ok(),
            Some((2, SEGMENT_SIZE as u64 + 1))
        );
        assert!(layout(HEADER as u64).is_err());
        assert!(layout(one + 5).is_err());
    }

    #[test]
    fn nonces_differ_by_index_and_flag() {
        let p = [7u8; PREFIX];
        let a = nonce(&p, 0, false).ok();
        assert_ne!(a, nonce(&p, 1, false).ok());
        assert_ne!(a, nonce(&p, 0, true).ok());
        assert!(nonce(&p, u64::from(u32::MAX) + 1, false).is_err());
    }
}
