//! The audit log of administrative actions. Services call [`record`] once, after their
//! write succeeded; recording never fails the caller's request (a store error is logged).
//! Snapshots hold the relevant fields only: never password hashes or tokens.

use std::net::IpAddr;

use ferrochat_model::time::now_ms;
use ferrochat_model::{User, ids};
use ferrochat_store::audit::AuditEntry;
use serde_json::{Value, json};

use crate::state::AppState;

/// Notes an administrative action by `actor` on `target_type`/`target_id`.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    state: &AppState,
    actor: &User,
    ip: Option<IpAddr>,
    action: &str,
    target_type: &str,
    target_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    let entry = AuditEntry {
        id: ids::random_id(),
        ts: now_ms(),
        actor_id: actor.id.clone(),
        actor_username: actor.username.clone(),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        before,
        after,
        ip: ip.map(|ip| ip.to_canonical().to_string()),
    };
    if let Err(err) = state.store.insert_audit(&entry).await {
        tracing::warn!(%err, action, target_id, "could not record an audit entry");
    }
}

/// The audited fields of a user: identity, roles, flags. Never the password hash, tokens
/// or preferences.
pub fn user_snapshot(user: &User) -> Value {
    json!({
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "active": user.active,
        "roles": user.roles,
        "type": user.user_type,
        "requirePasswordChange": user.require_password_change,
    })
}
