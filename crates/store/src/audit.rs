//! The audit log of administrative actions: who did what to which target, with snapshots
//! of the relevant fields before and after, when and from which address. The actor is
//! stored as text (no foreign key), so entries outlive the acting account.

use serde_json::Value;

use crate::rows::{get, json_text, opt_value};
use crate::{Page, Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    /// Epoch milliseconds.
    pub ts: i64,
    pub actor_id: String,
    pub actor_username: String,
    /// `user.create`, `role.grant`, `setting.change`...
    pub action: String,
    /// `user`, `role`, `permission`, `setting`, `room`...
    pub target_type: String,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The client's address, when the transport knows it.
    pub ip: Option<String>,
}

/// Which entries to list; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The actor's id or username.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive lower bound on `ts` (epoch ms).
    pub since: Option<i64>,
    /// Inclusive upper bound on `ts` (epoch ms).
    pub until: Option<i64>,
}

const COLUMNS: &str = "id, ts, actor_id, actor_username, action, target_type, target_id, \
                       before_doc, after_doc, ip";

enum Bind {
    Text(String),
    Int(i64),
}

impl AuditFilter {
    fn sql(&self) -> (String, Vec<Bind>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let next = |bind: Bind, binds: &mut Vec<Bind>| {
            binds.push(bind);
            format!("${}", binds.len())
        };
        if let Some(actor) = &self.actor {
            let p = next(Bind::Text(actor.clone()), &mut binds);
            clauses.push(format!("(actor_id = {p} OR actor_username = {p})"));
        }
        if let Some(action) = &self.action {
            let p = next(Bind::Text(action.clone()), &mut binds);
            clauses.push(format!("action = {p}"));
        }
        if let Some(target) = &self.target_id {
            let p = next(Bind::Text(target.clone()), &mut binds);
            clauses.push(format!("target_id = {p}"));
        }
        if let Some(since) = self.since {
            let p = next(Bind::Int(since), &mut binds);
            clauses.push(format!("ts >= {p}"));
        }
        if let Some(until) = self.until {
            let p = next(Bind::Int(until), &mut binds);
            clauses.push(format!("ts <= {p}"));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        (sql, binds)
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Int(n) => query.bind(*n),
        };
    }
    query
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: get(row, "id")?,
        ts: get(row, "ts")?,
        actor_id: get(row, "actor_id")?,
        actor_username: get(row, "actor_username")?,
        action: get(row, "action")?,
        target_type: get(row, "target_type")?,
        target_id: get(row, "target_id")?,
        before: opt_value(get(row, "before_doc")?)?,
        after: opt_value(get(row, "after_doc")?)?,
        ip: get(row, "ip")?,
    })
}

impl Store {
    pub async fn insert_audit(&self, entry: &AuditEntry) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&entry.id)
        .bind(entry.ts)
        .bind(&entry.actor_id)
        .bind(&entry.actor_username)
        .bind(&entry.action)
        .bind(&entry.target_type)
        .bind(&entry.target_id)
        .bind(entry.before.as_ref().map(json_text))
        .bind(entry.after.as_ref().map(json_text))
        .bind(entry.ip.as_deref())
        .execute(&self.write)
        .await
        .map_err(crate::classify)?;
        Ok(())
    }

    /// Entries matching `filter`, newest first, one page of them, with the total count.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<(Vec<AuditEntry>, i64)> {
        let (cond, binds) = filter.sql();
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log{cond}");
        let total: i64 = get(
            &bind_all(sqlx::query(&count_sql), &binds)
                .fetch_one(&self.read)
                .await?,
            "n",
        )?;
        let list_sql = format!(
            "SELECT {COLUMNS} FROM audit_log{cond} ORDER BY ts DESC, id DESC{}",
            page.sql(self.dialect)
        );
        let rows = bind_all(sqlx::query(&list_sql), &binds)
            .fetch_all(&self.read)
            .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok((entries, total))
    }
}
