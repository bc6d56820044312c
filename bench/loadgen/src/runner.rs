//! The run environment: fresh stores (a new DATA_DIR or a new PostgreSQL database),
//! seeding them, starting servers on them, and cleaning up.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::manifest::Manifest;
use crate::profile::Profile;
use crate::seed::{self, SeedError, SeedStats, Target};
use crate::server::{Server, ServerError, ServerSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        }
    }
}

/// Everything a scenario needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct Env {
    pub server_bin: PathBuf,
    pub store: StoreKind,
    /// A PostgreSQL URL with rights to create databases (its database part is replaced).
    pub pg_url: String,
    pub redis_url: String,
    /// Fresh data directories, logs and manifests go under here.
    pub work_dir: PathBuf,
    pub profile: Profile,
    /// Record a perf profile of every server into this directory.
    pub perf_dir: Option<PathBuf>,
}

/// A fresh, empty store owned by this run.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    pub kind: StoreKind,
    pub dir: PathBuf,
    /// PostgreSQL: the database URL; SQLite: none (the server's default under DATA_DIR).
    pub database_url: Option<String>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = match base.rfind('/') {
        // `postgres://host/db`: keep everything up to the last slash after the authority.
        Some(i) if base[..i].contains("://") && i > base.find("://").map_or(0, |j| j + 2) => {
            &base[..i]
        }
        _ => base,
    };
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

impl Env {
    /// A new empty data directory (and, on PostgreSQL, a new database).
    pub async fn fresh_store(&self, label: &str) -> Result<StoreHandle, SeedError> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let dir = self
            .work_dir
            .join(format!("{}-{label}-{pid}-{n}", self.store.name()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| SeedError::Io(dir.display().to_string(), e))?;
        let database_url = match self.store {
            StoreKind::Sqlite => None,
            StoreKind::Postgres => {
                let url = with_database(&self.pg_url, &format!("fcbench_{pid}_{n}"));
                seed::drop_database(&url).await?;
                seed::ensure_database(&url).await?;
                Some(url)
            }
        };
        Ok(StoreHandle {
            kind: self.store,
            dir,
            database_url,
        })
    }

    /// Seeds a store at this profile's size; prints the loader's figures.
    pub async fn seed(&self, store: &StoreHandle) -> Result<(Manifest, SeedStats), SeedError> {
        let target = match &store.database_url {
            None => Target::Sqlite {
                data_dir: store.dir.clone(),
            },
            Some(url) => Target::Postgres { url: url.clone() },
        };
        let cfg = self.profile.seed.clone();
        println!(
            "[{}] seeding {} users, {} rooms, {} messages ({} in the big room)",
            self.store.name(),
            cfg.users,
            cfg.rooms,
            cfg.messages,
            cfg.big_room_messages
        );
        let (manifest, stats) = seed::seed(
            cfg,
            &target,
            &store.dir.join("bench-seed.json"),
            Some(&self.server_bin),
        )
        .await?;
        stats.print();
        Ok((manifest, stats))
    }

    pub fn spec(&self, store: &StoreHandle, log_name: &str, extra: &[(&str, &str)]) -> ServerSpec {
        let mut env = vec![("DATA_DIR".to_owned(), store.dir.display().to_string())];
        if let Some(url) = &store.database_url {
            env.push(("DATABASE_URL".into(), url.clone()));
        }
        for (k, v) in extra {
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        ServerSpec {
            bin: self.server_bin.clone(),
            env,
            log: store.dir.join(format!("{log_name}.log")),
            perf: self
                .perf_dir
                .as_ref()
                .map(|dir| dir.join(format!("{}-{log_name}.perf.data", self.store.name()))),
        }
    }

    /// Starts a server on the store and waits for `/readyz`.
    pub async fn start(
        &self,
        store: &StoreHandle,
        log_name: &str,
        extra: &[(&str, &str)],
    ) -> Result<Server, ServerError> {
        Server::start(&self.spec(store, log_name, extra), Duration::from_secs(120)).await
    }

    /// Removes the store (directory and database).
    pub async fn remove(&self, store: &StoreHandle) {
        if let Some(url) = &store.database_url
            && let Err(e) = seed::drop_database(url).await
        {
            eprintln!("warning: could not drop {url}: {e}");
        }
        remove_dir(&store.dir);
    }
}

fn remove_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
