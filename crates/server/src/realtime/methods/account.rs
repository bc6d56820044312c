//! `login`, `logout`, `public-settings/get`.

use ferrochat_model::DateStyle;
use serde_json::{Value, json};

use super::{Args, MethodCtx, Outcome, SessionChange};
use crate::error::{Error, Result};
use crate::services::auth::{self, LoginRequest};

/// Account methods: logging in and out, public settings.
pub async fn dispatch(ctx: &MethodCtx<'_>, name: &str, args: &Args<'_>) -> Option<Outcome> {
    Some(match name {
        "login" => login(ctx, args).await,
        "logout" => logout(ctx).await,
        "public-settings/get" => public_settings(ctx, args).into(),
        _ => return None,
    })
}

pub async fn login(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Outcome {
    let request = match args
        .object(0)
        .and_then(|arg| LoginRequest::from_ddp(&Value::Object(arg.clone())))
    {
        Ok(request) => request,
        Err(e) => return Err(e).into(),
    };
    match auth::login(ctx.state, request, ctx.client_ip).await {
        Ok(done) => {
            let result = json!({
                "id": done.user.id,
                "token": done.token,
                "tokenExpires": DateStyle::EJson.date(done.token_expires),
                "type": done.kind,
            });
            Outcome {
                result: Ok(result),
                change: Some(SessionChange::LoggedIn {
                    hashed_token: ferrochat_model::ids::hash_login_token(&done.token),
                    user: Box::new(done.user),
                }),
            }
        }
        Err(Error::LoginFailed { error, reason }) => {
            // DDP carries Meteor's 403 for bad credentials.
            let code = match error {
                Value::String(s) if s == "Unauthorized" => "403".to_owned(),
                Value::String(s) => s,
                other => other.to_string(),
            };
            Err(Error::failure(&code, reason)).into()
        }
        Err(e) => Err(e).into(),
    }
}

pub async fn logout(ctx: &MethodCtx<'_>) -> Outcome {
    if let Some(hashed) = &ctx.hashed_token
        && let Err(e) = auth::logout(ctx.state, hashed).await
    {
        return Err(e).into();
    }
    Outcome {
        result: Ok(Value::Null),
        change: Some(SessionChange::LoggedOut),
    }
}

/// All public settings, or `{update, remove}` of those changed since a date.
pub fn public_settings(ctx: &MethodCtx<'_>, args: &Args<'_>) -> Result<Value> {
    let since = args.opt_date(0)?;
    let settings: Vec<Value> = ctx
        .state
        .settings
        .all()
        .into_iter()
        .filter(|s| s.def.public)
        .filter(|s| since.is_none_or(|t| s.updated_at > t))
        .map(|s| json!({"_id": s.def.id, "value": s.value, "enterprise": false}))
        .collect();
    Ok(match since {
        None => Value::Array(settings),
        Some(_) => json!({"update": settings, "remove": []}),
    })
}
