//! `private-settings/get`, `saveSetting`, `saveSettings`: the admin screens' settings methods.

use serde_json::{Value, json};

use super::args::mismatch;
use super::{Args, MethodCtx, Outcome};
use crate::error::{Error, Result};
use crate::services::settings_admin;

pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    Some(
        match name {
            "private-settings/get" => private_settings(ctx, args),
            "saveSetting" => save_setting(ctx, args).await,
            "saveSettings" => save_settings(ctx, args).await,
            _ => return None,
        }
        .into(),
    )
}

/// Every setting for `view-privileged-setting` holders, the ones the caller manages through
/// `manage-selected-settings` otherwise, and nothing for anyone else (as Rocket.Chat does).
fn private_settings(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let since = args.opt_date(0)?;
    let state = ctx.state;
    let privileged = state.authz.has_global(user, "view-privileged-setting");
    let settings: Vec<Value> =
        if privileged || state.authz.has_global(user, "manage-selected-settings") {
            state
                .settings
                .all()
                .into_iter()
                .filter(|s| privileged || settings_admin::may_change(state, user, s.def.id))
                .filter(|s| since.is_none_or(|t| s.updated_at > t))
                .map(|s| settings_admin::to_admin_wire(&s))
                .collect()
        } else {
            Vec::new()
        };
    Ok(match since {
        None => Value::Array(settings),
        Some(_) => json!({"update": settings, "remove": []}),
    })
}

/// `saveSetting(_id, value, editor?)`.
async fn save_setting(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let id = args.str(0)?;
    let value = args.get(1).cloned().ok_or_else(|| mismatch(1, "a value"))?;
    settings_admin::change(ctx.state, user, ctx.client_ip, id, value)
        .await
        .map_err(editing_refused)?;
    Ok(Value::Bool(true))
}

/// `saveSettings([{_id, value}, ...])`: all or nothing.
async fn save_settings(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let user = ctx.user()?;
    let Some(Value::Array(items)) = args.get(0) else {
        return Err(mismatch(0, "an array of {_id, value}"));
    };
    let changes = items
        .iter()
        .map(|item| match (item.get("_id"), item.get("value")) {
            (Some(Value::String(id)), Some(value)) => Ok((id.clone(), value.clone())),
            _ => Err(mismatch(0, "an array of {_id, value}")),
        })
        .collect::<Result<Vec<_>>>()?;
    settings_admin::change_many(ctx.state, user, ctx.client_ip, changes)
        .await
        .map_err(editing_refused)?;
    Ok(Value::Bool(true))
}

/// Rocket.Chat's `saveSetting(s)` refuse with their own error, not the generic one.
fn editing_refused(error: Error) -> Error {
    if error == Error::Forbidden {
        Error::failure(
            "error-action-not-allowed",
            "Editing settings is not allowed",
        )
    } else {
        error
    }
}
