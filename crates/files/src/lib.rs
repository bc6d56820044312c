//! Storage and content safety for uploaded files: the layer the server's upload and
//! download endpoints use.
//!
//! * [`BlobStore`] stores opaque byte streams under server-generated ids ([`BlobId`]), with
//!   three backends: [`LocalStore`] (files under a directory), [`DatabaseStore`] (GridFS-style
//!   chunk rows through `ferrochat_store::Store`, SQLite or PostgreSQL) and [`S3Store`]
//!   (any S3-compatible endpoint). [`EncryptedStore`] wraps any of them with AES-256-GCM.
//! * [`content_type`] decides what a file is from its first bytes, whether the media-type
//!   settings allow it and whether a browser must be kept from running it;
//!   [`sanitize_file_name`] makes a client's file name safe to store and echo;
//!   [`clamd`] streams uploads through ClamAV; [`images`] reads dimensions and makes
//!   thumbnails with decompression-bomb limits.
//!
//! ## Why `async_trait`
//!
//! The server picks a backend at start-up from its configuration and holds it as
//! `Arc<dyn BlobStore>`, so the trait must be object safe. Native `async fn` in traits is not
//! (its futures are unnamed associated types); `async_trait` boxes each returned future,
//! which costs one allocation per call, nothing next to the I/O of a store operation, and
//! keeps the trait readable. Streams are boxed for the same reason.
//!
//! Everything that streams works on [`ByteStream`] (input) and [`BlobStream`] (output):
//! no backend ever holds a whole file in memory; each holds at most a chunk or (S3) a
//! multipart part at a time.

pub mod clamd;
pub mod content_type;
mod database;
mod encrypted;
mod error;
mod file_name;
mod id;
pub mod images;
mod local;
mod s3;
mod store;

pub use database::{DB_CHUNK_SIZE, DatabaseStore};
pub use encrypted::{EncryptedStore, SEGMENT_SIZE};
pub use error::BlobError;
pub use file_name::sanitize_file_name;
pub use id::BlobId;
pub use local::LocalStore;
pub use s3::{S3Config, S3Store};
pub use store::{BlobStore, BlobStream, ByteRange, ByteStream};
