//! The data seeder: fills a fresh store fast, straight through the server's schema
//! (migrations from `ferrochat-store`), with batched multi-row inserts (SQLite) or COPY
//! (PostgreSQL). Rows are produced on a thread of their own while the database writes.

pub mod plan;
mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ferrochat_store::{Store, StoreOptions};
use tokio::sync::mpsc;

use crate::manifest::{BigRoom, FanoutRoom, Manifest, SeedUser, UserRoom};
pub use plan::{Plan, PlanError, SeedConfig};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("migrating the schema: {0}")]
    Migrate(#[from] ferrochat_store::StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the row producer stopped early")]
    Producer,
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}")]
    ServerMigrate(String),
}

/// Where to seed.
#[derive(Debug, Clone)]
pub enum Target {
    /// The SQLite file the server uses under this `DATA_DIR` (`ferrochat.db`).
    Sqlite {
        data_dir: PathBuf,
    },
    Postgres {
        url: String,
    },
}

impl Target {
    pub fn url(&self) -> String {
        match self {
            Target::Sqlite { data_dir } => {
                format!("sqlite://{}", data_dir.join("ferrochat.db").display())
            }
            Target::Postgres { url } => url.clone(),
        }
    }
}

/// One column value, written as a bind (SQLite) or as COPY text (PostgreSQL).
#[derive(Debug, Clone)]
pub enum Val {
    Text(String),
    Static(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

/// A table the seeder fills, with the columns it writes (the others keep their defaults).
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

pub const USERS: Table = Table {
    name: "users",
    columns: &[
        "id",
        "username",
        "name",
        "email",
        "email_verified",
        "user_type",
        "active",
        "roles",
        "status",
        "status_default",
        "status_connection",
        "status_text",
        "utc_offset",
        "created_at",
        "updated_at",
        "password_hash",
        "require_password_change",
        "preferences",
    ],
};

pub const ROOMS: Table = Table {
    name: "rooms",
    columns: &[
        "id",
        "t",
        "name",
        "fname",
        "creator_id",
        "creator_username",
        "ts",
        "updated_at",
        "msgs",
        "users_count",
        "lm",
        "last_message",
    ],
};

pub const SUBSCRIPTIONS: Table = Table {
    name: "subscriptions",
    columns: &[
        "id",
        "rid",
        "user_id",
        "username",
        "user_name",
        "t",
        "name",
        "fname",
        "ts",
        "ls",
        "updated_at",
        "open",
        "alert",
        "unread",
        "user_mentions",
        "group_mentions",
        "roles",
        "favorite",
        "archived",
        "extra",
    ],
};

pub const MESSAGES: Table = Table {
    name: "messages",
    columns: &[
        "id",
        "rid",
        "msg",
        "ts",
        "user_id",
        "username",
        "user_name",
        "updated_at",
        "extra",
        "mentioned_ids",
    ],
};

pub const TOKENS: Table = Table {
    name: "login_tokens",
    columns: &[
        "hashed_token",
        "user_id",
        "created_at",
        "expires_at",
        "kind",
    ],
};

/// Which of a table's columns the database has: a schema older than this tool lacks some
/// (they are then left out), a newer one has more (they keep their defaults).
pub(crate) fn column_mask(table: &Table, existing: &[String]) -> Vec<bool> {
    table
        .columns
        .iter()
        .map(|c| existing.iter().any(|e| e == c))
        .collect()
}

/// The columns kept by a mask.
pub(crate) fn kept_columns(table: &Table, mask: &[bool]) -> Vec<&'static str> {
    table
        .columns
        .iter()
        .zip(mask)
        .filter(|(_, keep)| **keep)
        .map(|(c, _)| *c)
        .collect()
}

/// Drops the values of missing columns from every row.
pub(crate) fn apply_mask(rows: &mut [Vec<Val>], mask: &[bool]) {
    if mask.iter().all(|k| *k) {
        return;
    }
    for row in rows {
        let mut i = 0;
        row.retain(|_| {
            let keep = mask.get(i).copied().unwrap_or(false);
            i += 1;
            keep
        });
    }
}

/// Rows of one table, in the order the producer made them.
pub struct Batch {
    pub table: &'static Table,
    pub rows: Vec<Vec<Val>>,
}

/// Rows written and time taken, per table.
#[derive(Debug, Clone, Default)]
pub struct SeedStats {
    pub tables: Vec<(&'static str, u64, f64)>,
    pub index_seconds: f64,
    pub total_seconds: f64,
}

impl SeedStats {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n, _)| n).sum()
    }

    pub fn print(&self) {
        for (table, rows, secs) in &self.tables {
            println!(
                "  {table:<14} {rows:>10} rows in {secs:>7.1} s  ({:>9.0} rows/s)",
                *rows as f64 / secs.max(1e-3)
            );
        }
        println!(
            "  indexes rebuilt in {:.1} s; {} rows in {:.1} s in all ({:.0} rows/s)",
            self.index_seconds,
            self.rows(),
            self.total_seconds,
            self.rows() as f64 / self.total_seconds.max(1e-3)
        );
    }
}

const BATCH_ROWS: usize = 500;
const PROGRESS_ROWS: u64 = 1_000_000;

fn user_values(plan: &Plan, i: u64) -> Vec<Val> {
    let u = plan.user(i);
    vec![
        Val::Text(u.id),
        Val::Text(u.username),
        Val::Text(u.name),
        Val::Text(u.email),
        Val::Bool(true),
        Val::Static("user"),
        Val::Bool(true),
        Val::Static("[\"user\"]"),
        Val::Static("offline"),
        Val::Static("online"),
        Val::Static("offline"),
        Val::Static(""),
        Val::Float(0.0),
        Val::Int(plan.now),
        Val::Int(plan.now),
        Val::Text(plan.password_hash.clone()),
        Val::Bool(false),
        Val::Static("{}"),
    ]
}

fn room_values(room: plan::RoomRow) -> Vec<Val> {
    vec![
        Val::Text(room.id),
        Val::Static(room.t),
        Val::Text(room.name.clone()),
        Val::Text(room.name),
        Val::Text(room.creator_id),
        Val::Text(room.creator_username),
        Val::Int(room.ts),
        Val::Int(room.updated_at),
        Val::Int(room.msgs),
        Val::Int(room.users_count),
        room.lm.map_or(Val::Null, Val::Int),
        room.last_message.map_or(Val::Null, Val::Text),
    ]
}

fn subscription_values(s: plan::SubscriptionRow) -> Vec<Val> {
    vec![
        Val::Text(s.id),
        Val::Text(s.rid),
        Val::Text(s.user_id),
        Val::Text(s.username),
        Val::Text(s.user_name),
        Val::Static(s.t),
        Val::Text(s.name.clone()),
        Val::Text(s.name),
        Val::Int(s.ts),
        Val::Int(s.ls),
        Val::Int(s.ls),
        Val::Bool(true),
        Val::Bool(false),
        Val::Int(0),
        Val::Int(0),
        Val::Int(0),
        Val::Static(s.roles),
        Val::Bool(false),
        Val::Bool(false),
        Val::Static("{}"),
    ]
}

fn message_values(m: plan::MessageRow) -> Vec<Val> {
    vec![
        Val::Text(m.id),
        Val::Text(m.rid),
        Val::Text(m.msg),
        Val::Int(m.ts),
        Val::Text(m.user_id),
        Val::Text(m.username),
        Val::Text(m.user_name),
        Val::Int(m.ts),
        Val::Text(m.extra),
        Val::Text(m.mentioned_ids),
    ]
}

fn token_values(t: plan::TokenRow) -> Vec<Val> {
    vec![
        Val::Text(t.hashed_token),
        Val::Text(t.user_id),
        Val::Int(t.created_at),
        Val::Int(t.expires_at),
        Val::Static("resume"),
    ]
}

/// Produces every row, table by table, into `tx` (runs on its own thread).
fn produce(plan: &Plan, tokens: &[(String, String)], tx: &mpsc::Sender<Batch>) -> Option<()> {
    let send = |table: &'static Table, rows: Vec<Vec<Val>>| -> Option<()> {
        tx.blocking_send(Batch { table, rows }).ok()
    };
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    for i in 0..plan.user_count() {
        rows.push(user_values(plan, i));
        if rows.len() == BATCH_ROWS {
            send(&USERS, std::mem::take(&mut rows))?;
        }
    }
    if !rows.is_empty() {
        send(&USERS, std::mem::take(&mut rows))?;
    }
    for r in 0..plan.room_count() {
        rows.push(room_values(plan.room(r)));
        if rows.len() == BATCH_ROWS {
            send(&ROOMS, std::mem::take(&mut rows))?;
        }
    }
    if !rows.is_empty() {
        send(&ROOMS, std::mem::take(&mut rows))?;
    }
    // Memberships once every room exists (foreign keys).
    let mut next_sub = 0;
    for r in 0..plan.room_count() {
        let room = plan.room(r);
        for s in plan.subscriptions(r, &room, next_sub) {
            next_sub += 1;
            rows.push(subscription_values(s));
            if rows.len() == BATCH_ROWS {
                send(&SUBSCRIPTIONS, std::mem::take(&mut rows))?;
            }
        }
    }
    if !rows.is_empty() {
        send(&SUBSCRIPTIONS, std::mem::take(&mut rows))?;
    }
    for r in 0..plan.room_count() {
        let (count, _) = plan.messages_of(r);
        for k in 0..count {
            rows.push(message_values(plan.message(r, k)));
            if rows.len() == BATCH_ROWS {
                send(&MESSAGES, std::mem::take(&mut rows))?;
            }
        }
    }
    if !rows.is_empty() {
        send(&MESSAGES, std::mem::take(&mut rows))?;
    }
    for (user_id, token) in tokens {
        rows.push(token_values(plan.token(user_id, token)));
        if rows.len() == BATCH_ROWS {
            send(&TOKENS, std::mem::take(&mut rows))?;
        }
    }
    if !rows.is_empty() {
        send(&TOKENS, rows)?;
    }
    Some(())
}

/// The manifest the generator reads: users with tokens and rooms, special rooms.
fn manifest(plan: &Plan, tokens: &[(String, String)]) -> Manifest {
    let mut users: Vec<SeedUser> = (0..plan.user_count())
        .map(|i| {
            let u = plan.user(i);
            SeedUser {
                id: u.id,
                username: u.username,
                token: tokens[i as usize].1.clone(),
                rooms: Vec::new(),
            }
        })
        .collect();
    let first = plan.first_ordinary_room();
    for r in first..first + plan.ordinary_rooms() {
        let members = plan.members(r);
        let rid = plan.id(b'r', r);
        let private = plan.is_private(r);
        for (j, u) in members.iter().enumerate() {
            let user = &mut users[*u as usize];
            if user.rooms.len() < 5 {
                let mate = members[(j + 1) % members.len()];
                user.rooms.push(UserRoom {
                    id: rid.clone(),
                    private,
                    mate: format!("bench{mate}"),
                });
            }
        }
    }
    let (first_ts, last_ts) = plan.big_room_span();
    Manifest {
        password: plan.cfg.password.clone(),
        users,
        rooms: plan.ordinary_rooms(),
        messages: plan.cfg.messages,
        big_room: BigRoom {
            id: plan.id(b'r', 0),
            name: "bench-big".into(),
            messages: plan.cfg.big_room_messages,
            first_ts,
            last_ts,
        },
        fanout_rooms: plan
            .fanout_rooms()
            .into_iter()
            .map(|(r, members)| FanoutRoom {
                members,
                id: plan.id(b'r', r),
                name: format!("bench-fan-{}", plan.cfg.fanout_sizes[(r - 1) as usize]),
            })
            .collect(),
        vocabulary: plan::VOCABULARY.iter().map(|w| (*w).to_owned()).collect(),
    }
}

/// Creates the schema: with `ferrochat migrate` of the binary under test when given (so
/// the schema is exactly the one that binary expects), else with the migrations built into
/// this tool.
async fn migrate(target: &Target, server_bin: Option<&Path>) -> Result<(), SeedError> {
    if let Target::Sqlite { data_dir } = target {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| SeedError::Io(data_dir.display().to_string(), e))?;
    }
    if let Some(bin) = server_bin {
        let mut command = tokio::process::Command::new(bin);
        command.arg("migrate").env("RUST_LOG", "warn");
        match target {
            Target::Sqlite { data_dir } => command.env("DATA_DIR", data_dir),
            Target::Postgres { url } => command.env("DATABASE_URL", url),
        };
        let out = command
            .output()
            .await
            .map_err(|e| SeedError::Io(bin.display().to_string(), e))?;
        if !out.status.success() {
            return Err(SeedError::ServerMigrate(format!(
                "{} migrate: {}: {}",
                bin.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        return Ok(());
    }
    let store = Store::connect(&StoreOptions {
        url: target.url(),
        max_connections: 2,
    })
    .await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

/// Seeds the target and writes the manifest next to it. Prints progress.
pub async fn seed(
    cfg: SeedConfig,
    target: &Target,
    manifest_path: &Path,
    server_bin: Option<&Path>,
) -> Result<(Manifest, SeedStats), SeedError> {
    let started = Instant::now();
    migrate(target, server_bin).await?;
    let plan = std::sync::Arc::new(Plan::new(cfg)?);
    let tokens: Vec<(String, String)> = (0..plan.user_count())
        .map(|i| (plan.user(i).id, ferrochat_model::ids::random_secret()))
        .collect();
    let manifest = manifest(&plan, &tokens);
    manifest.save(manifest_path)?;
    let (tx, rx) = mpsc::channel::<Batch>(16);
    let producer = {
        let plan = plan.clone();
        std::thread::spawn(move || produce(&plan, &tokens, &tx))
    };
    let mut stats = match target {
        Target::Sqlite { .. } => sqlite::write(&target.url(), rx).await?,
        Target::Postgres { url } => postgres::write(url, rx).await?,
    };
    if producer.join().ok().flatten().is_none() {
        return Err(SeedError::Producer);
    }
    stats.total_seconds = started.elapsed().as_secs_f64();
    Ok((manifest, stats))
}

/// Creates the PostgreSQL database named in `url` when it does not exist.
pub async fn ensure_database(url: &str) -> Result<(), SeedError> {
    postgres::ensure_database(url).await
}

/// Drops a PostgreSQL database (the runner's fresh ones).
pub async fn drop_database(url: &str) -> Result<(), SeedError> {
    postgres::drop_database(url).await
}

/// Tracks rows and time per table while a writer consumes batches.
pub(crate) struct Progress {
    stats: SeedStats,
    current: Option<(&'static str, u64, Instant)>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self {
            stats: SeedStats::default(),
            current: None,
        }
    }

    /// Whether batches of this table are being counted now.
    pub(crate) fn is_current(&self, table: &str) -> bool {
        matches!(self.current, Some((t, _, _)) if t == table)
    }

    /// Notes a batch; true when it starts a new table.
    pub(crate) fn batch(&mut self, table: &'static str, rows: usize) -> bool {
        let new = !self.is_current(table);
        if new {
            self.end_table();
            self.current = Some((table, 0, Instant::now()));
        }
        if let Some((table, n, at)) = &mut self.current {
            let before = *n;
            *n += rows as u64;
            // A line per million rows, so a long load shows it is moving.
            if *n / PROGRESS_ROWS > before / PROGRESS_ROWS {
                println!(
                    "  {table:<14} {:>10} rows, {:.0} rows/s so far",
                    *n,
                    *n as f64 / at.elapsed().as_secs_f64().max(1e-3)
                );
            }
        }
        new
    }

    pub(crate) fn end_table(&mut self) {
        if let Some((table, n, at)) = self.current.take() {
            self.stats
                .tables
                .push((table, n, at.elapsed().as_secs_f64()));
        }
    }

    pub(crate) fn finish(mut self, index_seconds: f64) -> SeedStats {
        self.end_table();
        self.stats.index_seconds = index_seconds;
        self.stats
    }
}
