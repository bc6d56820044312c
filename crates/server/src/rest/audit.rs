//! `audit.list`: the audit log of administrative actions (`view-logs`), newest first.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use ferrochat_model::time::{iso, parse_iso};
use ferrochat_store::audit::{AuditEntry, AuditFilter};
use serde_json::{Value, json};

use crate::error::Result;
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit.list", get(list))
}

fn to_wire(entry: &AuditEntry) -> Value {
    json!({
        "_id": entry.id,
        "ts": iso(entry.ts),
        "actor": {"_id": entry.actor_id, "username": entry.actor_username},
        "action": entry.action,
        "target": {"type": entry.target_type, "id": entry.target_id},
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
    })
}

fn date_param(params: &Params, key: &str) -> Result<Option<i64>> {
    match params.str_nonempty(key)? {
        None => Ok(None),
        Some(text) => parse_iso(&text)
            .map(Some)
            .ok_or_else(|| params.invalid(format!("'{key}' must be an ISO date"))),
    }
}

/// `GET /api/v1/audit.list?actor=&action=&targetId=&since=&until=&count=&offset=`.
async fn list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    state
        .authz
        .require(&state.store, &caller.user, "view-logs", None)
        .await?;
    let filter = AuditFilter {
        actor: params.str_nonempty("actor")?,
        action: params.str_nonempty("action")?,
        target_id: params.str_nonempty("targetId")?,
        since: date_param(&params, "since")?,
        until: date_param(&params, "until")?,
    };
    let paging = Paging::from_params(&state, &params)?;
    let (entries, total) = state.store.audit_entries(&filter, paging.page()).await?;
    let items = entries.iter().map(to_wire).collect();
    Ok(Success::new().page("entries", items, paging.offset, total))
}
