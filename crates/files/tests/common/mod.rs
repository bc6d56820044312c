//! Test helpers: real PostgreSQL databases and SQLite files; moto's S3 server and clamd come
//! from `ferrochat-test-services`.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::Path;

use ferrochat_store::{Store, StoreOptions};
use rand::Rng;
use sqlx::Connection;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn suffix() -> String {
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| (b'a' + rng.gen_range(0..26)) as char)
        .collect()
}

/// A SQLite store in a fresh directory.
pub async fn sqlite_store(dir: &Path) -> Store {
    let store = Store::connect(&StoreOptions {
        url: format!("sqlite://{}/test.db", dir.display()),
        max_connections: 4,
    })
    .await
    .expect("open SQLite store");
    store.migrate().await.expect("migrate SQLite store");
    store
}

/// A fresh PostgreSQL database (dropped with the guard), as crates/store's tests make them.
pub struct PgDb {
    pub store: Store,
    admin: String,
    name: String,
}

pub async fn postgres_store() -> PgDb {
    sqlx::any::install_default_drivers();
    let admin = std::env::var("FERROCHAT_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("ferrochat_files_{}", suffix());
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is not reachable ({e}); run scripts/test or set FERROCHAT_TEST_PG")
    });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let store = Store::connect(&StoreOptions {
        url: format!("{base}/{name}"),
        max_connections: 4,
    })
    .await
    .expect("connect to test database");
    store.migrate().await.expect("migrate PostgreSQL store");
    PgDb { store, admin, name }
}

impl PgDb {
    pub async fn drop_database(self) {
        let PgDb { store, admin, name } = self;
        store.close().await;
        if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

#[allow(unused_imports)] // each test binary uses a different part
pub use ferrochat_test_services::{EICAR, free_port, http, start_clamd, start_moto};
