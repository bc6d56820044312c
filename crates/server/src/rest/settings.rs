//! Settings over REST: `settings.public` (before login), `settings`, `settings/:_id`, and the
//! login service configurations derived from them (`settings.oauth`, `service.configurations`).

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::routing::get;
use serde_json::{Value, json};
use std::net::SocketAddr;

use crate::error::Result;
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::registry::settings::SettingKind;
use crate::rest::{Reply, Success};
use crate::services::settings::SettingValue;
use crate::services::{login_services, settings_admin};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/settings.public", get(public))
        .route("/api/v1/settings", get(list))
        .route("/api/v1/settings/{id}", get(one).post(change))
        .route("/api/v1/settings.oauth", get(oauth))
        .route(
            "/api/v1/service.configurations",
            get(service_configurations),
        )
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

/// `GET /api/v1/settings`: every setting for `view-privileged-setting` holders, otherwise the
/// public ones and those the caller was given to manage.
async fn list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let include_defaults = params.bool("includeDefaults")?.unwrap_or(false);
    let all: Vec<SettingValue> = settings_admin::readable(&state, &caller.user)
        .into_iter()
        .filter(|s| include_defaults || s.def.kind != SettingKind::Action)
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
    let setting = settings_admin::read_one(&state, &caller.user, &id)?;
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
    let Some(value) = params.value("value").cloned() else {
        return Err(params.missing("value"));
    };
    settings_admin::change(&state, &caller.user, Some(peer.ip()), &id, value).await?;
    Ok(Success::new())
}

/// `settings.oauth`: the enabled OAuth providers, as login buttons need them.
async fn oauth(State(state): State<AppState>) -> Reply {
    let services: Vec<Value> = login_services::configurations(&state.settings)
        .iter()
        .map(login_services::oauth_summary)
        .collect();
    Ok(Success::new().with("services", services))
}

/// `service.configurations`: the enabled login services' configurations, without secrets.
async fn service_configurations(State(state): State<AppState>) -> Reply {
    Ok(Success::new().with(
        "configurations",
        login_services::configurations(&state.settings),
    ))
}
