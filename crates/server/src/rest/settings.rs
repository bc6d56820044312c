//! `settings.public`: the settings any client may read before logging in.

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::routing::get;
use serde_json::{Value, json};
use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::settings::SettingValue;
use crate::services::{audit, events, node_sync};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/settings.public", get(public))
        .route("/api/v1/settings", get(list))
        .route("/api/v1/settings/{id}", get(one).post(change))
}

fn to_wire(setting: &SettingValue) -> Value {
    json!({"_id": setting.def.id, "value": setting.value, "enterprise": false})
}

/// Which settings the request asks for: `_id` as a list or comma-separated, or a `query`
/// on `_id` (`{"_id": {"$in": [...]}}` as the mobile app sends it).
fn wanted_ids(params: &Params) -> Result<Option<Vec<String>>> {
    if let Some(ids) = params.str_list("_id")? {
        return Ok(Some(ids));
    }
    let Some(query) = params.json("query")? else {
        return Ok(None);
    };
    let invalid = || {
        crate::error::Error::failure(
            "error-invalid-query",
            "Invalid query parameter provided: only _id may be queried",
        )
    };
    let Value::Object(map) = &query else {
        return Err(invalid());
    };
    match (map.len(), map.get("_id")) {
        (0, _) => Ok(None),
        (1, Some(Value::String(id))) => Ok(Some(vec![id.clone()])),
        (1, Some(Value::Object(op))) if op.len() == 1 => match op.get("$in") {
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

async fn public(State(state): State<AppState>, params: Params) -> Reply {
    let ids = wanted_ids(&params)?;
    let paging = Paging::from_params(&state, &params)?;
    let matching: Vec<SettingValue> = state
        .settings
        .all()
        .into_iter()
        .filter(|s| s.def.public)
        .filter(|s| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().any(|id| id == s.def.id))
        })
        .collect();
    let total = matching.len() as i64;
    let items: Vec<Value> = matching
        .iter()
        .skip(paging.offset as usize)
        .take(paging.count.map_or(usize::MAX, |c| c as usize))
        .map(|s| paging.project(to_wire(s)))
        .collect();
    Ok(Success::new().page("settings", items, paging.offset, total))
}

/// `GET /api/v1/settings`: every setting with its value (`view-privileged-setting`).
async fn list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    state
        .authz
        .require(&state.store, &caller.user, "view-privileged-setting", None)
        .await?;
    let paging = Paging::from_params(&state, &params)?;
    let include_defaults = params.bool("includeDefaults")?.unwrap_or(false);
    let all: Vec<SettingValue> = state
        .settings
        .all()
        .into_iter()
        .filter(|s| {
            include_defaults || s.def.kind != crate::registry::settings::SettingKind::Action
        })
        .collect();
    let total = all.len() as i64;
    let items: Vec<Value> = all
        .iter()
        .skip(paging.offset as usize)
        .take(paging.count.map_or(usize::MAX, |c| c as usize))
        .map(|s| {
            let mut doc = json!({"_id": s.def.id, "value": s.value});
            if include_defaults {
                doc["packageValue"] = s.def.default_value();
                doc["type"] = Value::String(s.def.kind.as_str().to_owned());
                doc["public"] = Value::Bool(s.def.public);
            }
            paging.project(doc)
        })
        .collect();
    Ok(Success::new().page("settings", items, paging.offset, total))
}

/// `GET /api/v1/settings/:_id`.
async fn one(State(state): State<AppState>, Auth(caller): Auth, Path(id): Path<String>) -> Reply {
    state
        .authz
        .require(&state.store, &caller.user, "view-privileged-setting", None)
        .await?;
    let setting = state
        .settings
        .get(&id)
        .ok_or_else(|| Error::not_found("Setting not found"))?;
    Ok(Success::new()
        .with("_id", setting.def.id)
        .with("value", setting.value))
}

/// `POST /api/v1/settings/:_id` with `{value}`: validated against the setting's type, stored,
/// applied on every node, and announced (public settings with their value, private ones
/// by id only).
async fn change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    params: Params,
) -> Reply {
    state
        .authz
        .require(&state.store, &caller.user, "edit-privileged-setting", None)
        .await?;
    let Some(previous) = state.settings.get(&id) else {
        return Err(Error::not_found("Setting not found"));
    };
    let Some(value) = params.value("value").cloned() else {
        return Err(params.missing("value"));
    };
    let updated = state
        .settings
        .set(&state.store, &id, value, ferrochat_model::time::now_ms())
        .await?;
    // Secret settings (passwords) are audited without their values.
    let snapshot = |value: &Value| {
        if updated.def.kind == crate::registry::settings::SettingKind::Password {
            json!({"secret": true})
        } else {
            json!({"value": value})
        }
    };
    audit::record(
        &state,
        &caller.user,
        Some(peer.ip()),
        "setting.change",
        "setting",
        updated.def.id,
        Some(snapshot(&previous.value)),
        Some(snapshot(&updated.value)),
    )
    .await;
    node_sync::setting_changed(&state, updated.def.id);
    if updated.def.public {
        events::notify_all(
            &state,
            "public-settings-changed",
            json!(["updated", {"_id": updated.def.id, "value": updated.value}]),
        );
    } else {
        events::notify_logged(
            &state,
            "private-settings-changed",
            json!(["updated", {"_id": updated.def.id}]),
        );
    }
    Ok(Success::new())
}
