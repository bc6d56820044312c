//! `settings.public`: the settings any client may read before logging in.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::error::Result;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::settings::SettingValue;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/settings.public", get(public))
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
