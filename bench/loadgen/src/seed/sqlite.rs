//! SQLite writer: one connection, multi-row INSERTs in large transactions, synchronous off
//! while seeding, the message indexes dropped during the load and rebuilt after.

use std::str::FromStr;
use std::time::Instant;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, Row, SqliteConnection};
use tokio::sync::mpsc;

use super::{
    Batch, MESSAGES, Progress, SeedError, SeedStats, Table, Val, apply_mask, column_mask,
    kept_columns,
};

/// Rows per transaction.
const COMMIT_ROWS: usize = 50_000;

fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let one = format!("({})", vec!["?"; columns.len()].join(","));
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(","));
    sql.push_str(&vec![one; rows].join(","));
    sql
}

async fn insert(
    conn: &mut SqliteConnection,
    mut batch: Batch,
    mask: &[bool],
) -> Result<(), SeedError> {
    apply_mask(&mut batch.rows, mask);
    let columns = kept_columns(batch.table, mask);
    let sql = insert_sql(batch.table.name, &columns, batch.rows.len());
    let mut query = sqlx::query(&sql);
    for row in batch.rows {
        for value in row {
            query = match value {
                Val::Text(s) => query.bind(s),
                Val::Static(s) => query.bind(s),
                Val::Int(i) => query.bind(i),
                Val::Float(f) => query.bind(f),
                Val::Bool(b) => query.bind(i64::from(b)),
                Val::Null => query.bind(Option::<i64>::None),
            };
        }
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn existing_columns(
    conn: &mut SqliteConnection,
    table: &Table,
) -> Result<Vec<bool>, SeedError> {
    let rows = sqlx::query("SELECT name FROM pragma_table_info(?)")
        .bind(table.name)
        .fetch_all(&mut *conn)
        .await?;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<_, _>>()?;
    Ok(column_mask(table, &names))
}

/// Drops the secondary indexes of a table; returns their definitions.
async fn drop_indexes(conn: &mut SqliteConnection, table: &str) -> Result<Vec<String>, SeedError> {
    let rows = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut ddl = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let sql: String = row.try_get("sql")?;
        conn.execute(format!("DROP INDEX \"{name}\"").as_str())
            .await?;
        ddl.push(sql);
    }
    Ok(ddl)
}

pub(super) async fn write(
    url: &str,
    mut rx: mpsc::Receiver<Batch>,
) -> Result<SeedStats, SeedError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .foreign_keys(false)
        .pragma("cache_size", "-1048576")
        .pragma("temp_store", "memory");
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let mut progress = Progress::new();
    let mut in_tx = 0usize;
    let mut dropped: Vec<String> = Vec::new();
    let mut index_seconds = 0.0;
    let mut mask = Vec::new();
    conn.execute("BEGIN").await?;
    while let Some(batch) = rx.recv().await {
        if !progress.is_current(batch.table.name) {
            conn.execute("COMMIT").await?;
            progress.end_table();
            if !dropped.is_empty() {
                let at = Instant::now();
                for ddl in dropped.drain(..) {
                    conn.execute(ddl.as_str()).await?;
                }
                index_seconds += at.elapsed().as_secs_f64();
            }
            if batch.table.name == MESSAGES.name {
                dropped = drop_indexes(&mut conn, MESSAGES.name).await?;
            }
            mask = existing_columns(&mut conn, batch.table).await?;
            conn.execute("BEGIN").await?;
            in_tx = 0;
        }
        progress.batch(batch.table.name, batch.rows.len());
        in_tx += batch.rows.len();
        insert(&mut conn, batch, &mask).await?;
        if in_tx >= COMMIT_ROWS {
            conn.execute("COMMIT; BEGIN").await?;
            in_tx = 0;
        }
    }
    conn.execute("COMMIT").await?;
    progress.end_table();
    if !dropped.is_empty() {
        let at = Instant::now();
        for ddl in dropped.drain(..) {
            conn.execute(ddl.as_str()).await?;
        }
        index_seconds += at.elapsed().as_secs_f64();
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    Ok(progress.finish(index_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_insert_statement() {
        let sql = insert_sql("login_tokens", super::super::TOKENS.columns, 2);
        assert_eq!(
            sql,
            "INSERT INTO login_tokens (hashed_token,user_id,created_at,expires_at,kind) VALUES (?,?,?,?,?),(?,?,?,?,?)"
        );
    }
}
