//! PostgreSQL writer: COPY ... FROM STDIN in text format, one COPY per table, asynchronous
//! commit, foreign-key triggers off where allowed (superuser), the message indexes dropped
//! during the load and rebuilt after, then VACUUM ANALYZE and a checkpoint.

use std::time::Instant;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Executor, Row};
use tokio::sync::mpsc;

use super::{
    Batch, MESSAGES, Progress, SeedError, SeedStats, Table, Val, apply_mask, column_mask,
    kept_columns,
};

/// COPY data is sent in chunks of about this size.
const CHUNK_BYTES: usize = 1 << 20;

fn escape_into(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// Appends rows in COPY's text format.
fn copy_text(out: &mut Vec<u8>, rows: &[Vec<Val>]) {
    use std::io::Write;
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            match value {
                Val::Text(s) => escape_into(out, s),
                Val::Static(s) => escape_into(out, s),
                Val::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                Val::Float(f) => {
                    let _ = write!(out, "{f}");
                }
                Val::Bool(b) => out.push(if *b { b't' } else { b'f' }),
                Val::Null => out.extend_from_slice(b"\\N"),
            }
        }
        out.push(b'\n');
    }
}

fn copy_statement(table: &Table, mask: &[bool]) -> String {
    format!(
        "COPY {} ({}) FROM STDIN",
        table.name,
        kept_columns(table, mask).join(", ")
    )
}

async fn existing_columns(conn: &mut PgConnection, table: &Table) -> Result<Vec<bool>, SeedError> {
    let rows = sqlx::query(
        "SELECT column_name::text AS name FROM information_schema.columns \
         WHERE table_name = $1 AND table_schema = current_schema()",
    )
    .bind(table.name)
    .fetch_all(&mut *conn)
    .await?;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<_, _>>()?;
    Ok(column_mask(table, &names))
}

/// Drops the indexes of a table that back no constraint; returns their definitions.
async fn drop_indexes(conn: &mut PgConnection, table: &str) -> Result<Vec<String>, SeedError> {
    let rows = sqlx::query(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i \
         WHERE i.tablename = $1 AND i.schemaname = current_schema() \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let mut ddl = Vec::new();
    for row in rows {
        let name: String = row.try_get("indexname")?;
        let def: String = row.try_get("indexdef")?;
        conn.execute(format!("DROP INDEX \"{name}\"").as_str())
            .await?;
        ddl.push(def);
    }
    Ok(ddl)
}

async fn copy_table(
    conn: &mut PgConnection,
    table: &'static Table,
    first: Batch,
    rx: &mut mpsc::Receiver<Batch>,
    progress: &mut Progress,
) -> Result<Option<Batch>, SeedError> {
    let mask = existing_columns(conn, table).await?;
    let mut copy = conn.copy_in_raw(&copy_statement(table, &mask)).await?;
    let mut buffer = Vec::with_capacity(CHUNK_BYTES + 64 * 1024);
    let mut rows = first.rows;
    apply_mask(&mut rows, &mask);
    copy_text(&mut buffer, &rows);
    let mut next = None;
    while let Some(batch) = rx.recv().await {
        if batch.table.name != table.name {
            next = Some(batch);
            break;
        }
        progress.batch(table.name, batch.rows.len());
        let mut rows = batch.rows;
        apply_mask(&mut rows, &mask);
        copy_text(&mut buffer, &rows);
        if buffer.len() >= CHUNK_BYTES {
            copy.send(std::mem::take(&mut buffer)).await?;
            buffer.reserve(CHUNK_BYTES + 64 * 1024);
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer).await?;
    }
    copy.finish().await?;
    Ok(next)
}

pub(super) async fn write(
    url: &str,
    mut rx: mpsc::Receiver<Batch>,
) -> Result<SeedStats, SeedError> {
    let mut conn = PgConnection::connect(url).await?;
    conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'")
        .await?;
    // Skips the per-row foreign-key triggers; the rows are consistent by construction.
    // Only a superuser may; without it the load is just slower.
    let _ = conn.execute("SET session_replication_role = replica").await;
    let mut progress = Progress::new();
    let mut index_seconds = 0.0;
    let mut next = rx.recv().await;
    while let Some(batch) = next {
        let table = batch.table;
        progress.batch(table.name, batch.rows.len());
        let dropped = if table.name == MESSAGES.name {
            drop_indexes(&mut conn, table.name).await?
        } else {
            Vec::new()
        };
        next = copy_table(&mut conn, table, batch, &mut rx, &mut progress).await?;
        progress.end_table();
        let at = Instant::now();
        for ddl in dropped {
            conn.execute(ddl.as_str()).await?;
        }
        index_seconds += at.elapsed().as_secs_f64();
    }
    let _ = conn.execute("SET session_replication_role = origin").await;
    // Leave a settled database: statistics and visibility maps now rather than autovacuum
    // during the first scenario, and the written pages flushed (superuser only).
    conn.execute("VACUUM ANALYZE").await?;
    let _ = conn.execute("CHECKPOINT").await;
    conn.close().await?;
    Ok(progress.finish(index_seconds))
}

fn split_database(url: &str) -> Result<(PgConnectOptions, String), SeedError> {
    let options: PgConnectOptions = url.parse()?;
    let name = options
        .get_database()
        .map(str::to_owned)
        .unwrap_or_else(|| "postgres".into());
    Ok((options.database("postgres"), name))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(super) async fn ensure_database(url: &str) -> Result<(), SeedError> {
    let (admin, name) = split_database(url)?;
    let mut conn = admin.connect().await?;
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?
        .is_some();
    if !exists {
        conn.execute(format!("CREATE DATABASE {}", quote_ident(&name)).as_str())
            .await?;
    }
    conn.close().await?;
    Ok(())
}

pub(super) async fn drop_database(url: &str) -> Result<(), SeedError> {
    let (admin, name) = split_database(url)?;
    let mut conn = admin.connect().await?;
    conn.execute(
        format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        )
        .as_str(),
    )
    .await?;
    conn.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes() {
        let mut out = Vec::new();
        copy_text(
            &mut out,
            &[vec![
                Val::Text("a\tb\\c\nd".into()),
                Val::Int(-3),
                Val::Bool(true),
                Val::Null,
            ]],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\tb\\\\c\\nd\t-3\tt\t\\N\n"
        );
    }
}
