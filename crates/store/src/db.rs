use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::group_commit::PostQueue;
use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path` or `postgres://...`.
    pub url: String,
    /// Connections in the read pool (and, for PostgreSQL, the only pool).
    pub max_connections: u32,
}

/// The handle every repository hangs off. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) dialect: Dialect,
    /// Reads. On PostgreSQL this is the same pool as `write`.
    pub(crate) read: AnyPool,
    /// Writes and transactions. On SQLite a single connection, so writers queue here
    /// instead of failing on the database lock.
    pub(crate) write: AnyPool,
    /// SQLite: the queue of the group-commit writer new messages go through
    /// ([`crate::group_commit`]). `None` on PostgreSQL, and in the writer's own handle.
    pub(crate) posts: Option<PostQueue>,
}

impl Store {
    pub async fn connect(options: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if options.url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if options.url.starts_with("postgres:") || options.url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(&options.url)));
        };
        match dialect {
            Dialect::Sqlite => {
                let url = sqlite_url(&options.url)?;
                let connect = AnyConnectOptions::from_str(&url)?;
                let write = sqlite_pool(1).connect_with(connect.clone()).await?;
                let read = sqlite_pool(options.max_connections.max(1))
                    .connect_with(connect)
                    .await?;
                let mut store = Self {
                    dialect,
                    read,
                    write,
                    posts: None,
                };
                store.posts = Some(PostQueue::start(store.clone()));
                Ok(store)
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&options.url)
                    .await?;
                Ok(Self {
                    dialect,
                    read: pool.clone(),
                    write: pool,
                    posts: None,
                })
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A connection to a local file has no peer that could have gone away: the ping sqlx
        // sends by default on every acquire is a wasted round trip to the connection's
        // worker thread (sqlx still pings once on release).
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; FULL makes an acknowledged write
                // survive power loss; foreign keys are off by default in SQLite.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
}

/// Accepts `sqlite://relative/path`, `sqlite:///abs/path` and `sqlite::memory:`, creates the
/// parent directory and asks SQLite to create the file.
fn sqlite_url(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path == ":memory:" || path.is_empty() {
        return Err(StoreError::UnsupportedUrl(
            "an in-memory SQLite database cannot be shared between connections".into(),
        ));
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::UnsupportedUrl(format!("{}: {e}", parent.display())))?;
    }
    let mode = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{mode}"))
}

/// A database URL without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
