//! Persistence for Ferrochat. One implementation of every repository runs on both
//! supported databases through sqlx's `Any` driver: SQLite (the embedded default) and
//! PostgreSQL (cluster mode). Each backend has its own migrations; where SQL differs the
//! code asks [`Dialect`].
//!
//! SQLite allows one writer at a time. Rather than letting writers race for the lock
//! (and fail with `SQLITE_BUSY`), every write goes through a pool of exactly one
//! connection; reads use a separate pool and see committed data through WAL.
//! New messages, the most frequent write, share transactions and their `fsync` through
//! a group commit (`group_commit`).

pub mod audit;
pub mod avatars;
pub mod blobs;
pub mod custom_emoji;
mod db;
pub mod filter;
mod group_commit;
pub mod message_state;
pub mod message_sync;
pub mod messages;
pub mod meta;
pub mod permissions;
pub mod rooms;
mod rows;
pub mod search;
pub mod settings;
pub mod subscriptions;
pub mod tokens;
pub mod trash;
pub mod uploads;
pub mod users;

pub use db::{Dialect, Store, StoreOptions, redact as redact_url};
pub use filter::{Filter, FilterError, Sort};

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (a taken username, room name, id...).
    #[error("duplicate value for {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored document is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    /// A write that shared its transaction with others (SQLite's group commit of new
    /// messages) was not stored because that transaction failed.
    #[error("shared transaction failed: {0}")]
    GroupCommit(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Maps a unique-constraint violation to [`StoreError::Duplicate`], naming the constraint.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        let what = db
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db.message().to_owned());
        return StoreError::Duplicate(what);
    }
    StoreError::Database(err)
}

/// A page request: `offset` rows skipped, at most `count` returned (`None` = all).
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub offset: i64,
    pub count: Option<i64>,
}

impl Page {
    pub(crate) fn sql(&self, dialect: Dialect) -> String {
        let offset = self.offset.max(0);
        match (self.count, dialect) {
            (Some(count), _) => format!(" LIMIT {} OFFSET {offset}", count.max(0)),
            (None, _) if offset == 0 => String::new(),
            (None, Dialect::Sqlite) => format!(" LIMIT -1 OFFSET {offset}"),
            (None, Dialect::Postgres) => format!(" OFFSET {offset}"),
        }
    }
}

/// The user columns qualified by a table alias, for joins.
pub(crate) fn users_columns_prefixed(alias: &str) -> String {
    users::COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
