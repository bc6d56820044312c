//! `users.*`: accounts, profiles, status and presence, preferences, personal access
//! tokens. Each handler checks the request's shape (Rocket.Chat's ajv schemas, with their
//! messages), calls one function of [`crate::services::users`] or
//! [`crate::services::access_tokens`], and shapes the reply.

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use ferrochat_model::ids::hash_login_token;
use serde_json::{Map, Value};
use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::gateway::{Auth, Caller, MaybeAuth};
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::access_tokens::{self, SecondFactor};
use crate::services::users::{
    self, AutocompleteSelector, NewAccount, OwnBasicInfo, Registration, UserSelector, UserUpdate,
};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    let path = |name: &str| format!("/api/v1/users.{name}");
    Router::new()
        .route(&path("register"), post(register))
        .route(&path("create"), post(create))
        .route(&path("info"), get(info))
        .route(&path("list"), get(list))
        .route(&path("update"), post(update))
        .route(&path("updateOwnBasicInfo"), post(update_own_basic_info))
        .route(&path("delete"), post(delete))
        .route(&path("deleteOwnAccount"), post(delete_own_account))
        .route(&path("setActiveStatus"), post(set_active_status))
        .route(&path("setStatus"), post(set_status))
        .route(&path("getStatus"), get(get_status))
        .route(&path("getPresence"), get(get_presence))
        .route(&path("presence"), get(presence))
        .route(&path("getPreferences"), get(get_preferences))
        .route(&path("setPreferences"), post(set_preferences))
        .route(
            &path("checkUsernameAvailability"),
            get(check_username_availability),
        )
        .route(&path("getUsernameSuggestion"), get(username_suggestion))
        .route(&path("autocomplete"), get(autocomplete))
        .route(&path("logout"), post(logout))
        .route(&path("logoutOtherClients"), post(logout_other_clients))
        .route(&path("removeOtherTokens"), post(remove_other_tokens))
        .route(
            &path("generatePersonalAccessToken"),
            post(generate_personal_access_token),
        )
        .route(
            &path("regeneratePersonalAccessToken"),
            post(regenerate_personal_access_token),
        )
        .route(
            &path("removePersonalAccessToken"),
            post(remove_personal_access_token),
        )
        .route(
            &path("getPersonalAccessTokens"),
            get(get_personal_access_tokens),
        )
}

// ---------------------------------------------------------------------------------------------
// Request shapes

/// ajv's `additionalProperties: false`.
fn only(params: &Params, allowed: &[&str]) -> Result<()> {
    if params.raw().keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(params.invalid("must NOT have additional properties"));
    }
    Ok(())
}

/// A required string property (ajv `required` + `type: string`).
fn required_str(params: &Params, key: &str) -> Result<String> {
    params.req_str(key)
}

/// A nested object parameter, as its own [`Params`] (same error style).
fn object_param(params: &Params, key: &str) -> Result<Option<Params>> {
    Ok(params
        .object(key)?
        .map(|map| Params::from_map(map, params.in_query())))
}

/// `userId`, else `username`, else `user` (`getUserFromParams`); blank values count as
/// absent.
fn user_selector(params: &Params) -> Result<Option<UserSelector>> {
    if let Some(id) = params.str("userId")?.filter(|s| !s.trim().is_empty()) {
        return Ok(Some(UserSelector::Id(id)));
    }
    for key in ["username", "user"] {
        if let Some(name) = params.str(key)?.filter(|s| !s.trim().is_empty()) {
            return Ok(Some(UserSelector::Username(name)));
        }
    }
    Ok(None)
}

fn custom_fields(params: &Params) -> Result<Option<Map<String, Value>>> {
    params.object("customFields")
}

/// The second factor a request carries (`x-2fa-code`, `x-2fa-method`).
fn second_factor(headers: &HeaderMap) -> SecondFactor {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    SecondFactor {
        code: header("x-2fa-code"),
        method: header("x-2fa-method"),
    }
}

fn user_reply(user: Value) -> Reply {
    Ok(Success::new().with("user", user))
}

// ---------------------------------------------------------------------------------------------
// Accounts

async fn register(
    State(state): State<AppState>,
    MaybeAuth(caller): MaybeAuth,
    params: Params,
) -> Reply {
    only(
        &params,
        &[
            "username",
            "name",
            "email",
            "pass",
            "secret",
            "secretURL",
            "reason",
            "customFields",
        ],
    )?;
    let registration = Registration {
        username: required_str(&params, "username")?,
        email: required_str(&params, "email")?,
        pass: required_str(&params, "pass")?,
        name: params.str("name")?,
        secret: match params.str("secret")? {
            Some(secret) => Some(secret),
            None => params.str("secretURL")?,
        },
        reason: params.str("reason")?,
        custom_fields: custom_fields(&params)?,
    };
    let user = users::register(&state, caller.as_ref().map(|c| &c.user), registration).await?;
    user_reply(user.to_private(DateStyle::Iso))
}

async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    only(
        &params,
        &[
            "email",
            "name",
            "password",
            "username",
            "active",
            "bio",
            "nickname",
            "statusText",
            "roles",
            "joinDefaultChannels",
            "requirePasswordChange",
            "setRandomPassword",
            "sendWelcomeEmail",
            "verified",
            "customFields",
            "fields",
            "freeSwitchExtension",
            "phones",
        ],
    )?;
    let account = NewAccount {
        email: required_str(&params, "email")?,
        name: required_str(&params, "name")?,
        password: required_str(&params, "password")?,
        username: required_str(&params, "username")?,
        active: params.bool("active")?,
        roles: params.str_list("roles")?,
        join_default_channels: params.bool("joinDefaultChannels")?,
        require_password_change: params.bool("requirePasswordChange")?,
        set_random_password: params.bool("setRandomPassword")?,
        verified: params.bool("verified")?,
        custom_fields: custom_fields(&params)?,
        bio: params.str("bio")?,
        nickname: params.str("nickname")?,
    };
    params.bool("sendWelcomeEmail")?;
    params.str("statusText")?;
    let user = users::create(&state, &caller.user, Some(peer.ip()), account).await?;
    user_reply(user.to_private(DateStyle::Iso))
}

async fn info(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let selector = if let Some(id) = params.str("userId")?.filter(|s| !s.is_empty()) {
        UserSelector::Id(id)
    } else if let Some(name) = params.str("username")?.filter(|s| !s.is_empty()) {
        UserSelector::Username(name)
    } else {
        return Err(params.missing("userId"));
    };
    let wants_rooms_field = match params.json("fields")? {
        Some(Value::Object(fields)) => fields
            .get("userRooms")
            .is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true)),
        _ => false,
    };
    let include_rooms = params.bool("includeUserRooms")?.unwrap_or(false) || wants_rooms_field;
    let user = users::info(&state, &caller.user, &selector, include_rooms).await?;
    user_reply(user)
}

async fn list(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let (items, total) = users::list(&state, &caller.user, &paging).await?;
    Ok(Success::new().page("users", items, paging.offset, total))
}

async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    only(&params, &["userId", "data", "confirmRelinquish"])?;
    let user_id = required_str(&params, "userId")?;
    if user_id.is_empty() {
        return Err(params.invalid("must NOT have fewer than 1 characters"));
    }
    let Some(data) = object_param(&params, "data")? else {
        return Err(params.missing("data"));
    };
    only(
        &data,
        &[
            "email",
            "name",
            "password",
            "username",
            "bio",
            "nickname",
            "statusText",
            "active",
            "roles",
            "requirePasswordChange",
            "setRandomPassword",
            "sendWelcomeEmail",
            "verified",
            "customFields",
            "status",
        ],
    )?;
    let update = UserUpdate {
        email: data.str("email")?,
        name: data.str("name")?,
        password: data.str("password")?,
        username: data.str("username")?,
        active: data.bool("active")?,
        roles: data.str_list("roles")?,
        require_password_change: data.bool("requirePasswordChange")?,
        set_random_password: data.bool("setRandomPassword")?,
        verified: data.bool("verified")?,
        custom_fields: data.object("customFields")?,
        status_text: data.str("statusText")?,
        bio: data.str("bio")?,
        nickname: data.str("nickname")?,
    };
    data.bool("sendWelcomeEmail")?;
    data.str("status")?;
    let confirm = params.bool("confirmRelinquish")?.unwrap_or(false);
    let user = users::update(
        &state,
        &caller.user,
        Some(peer.ip()),
        &user_id,
        update,
        confirm,
    )
    .await?;
    user_reply(user)
}

async fn update_own_basic_info(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    only(&params, &["data", "customFields"])?;
    let Some(data) = object_param(&params, "data")? else {
        return Err(params.missing("data"));
    };
    only(
        &data,
        &[
            "email",
            "name",
            "username",
            "nickname",
            "bio",
            "statusType",
            "statusText",
            "currentPassword",
            "newPassword",
        ],
    )?;
    let info = OwnBasicInfo {
        email: data.str("email")?,
        name: data.str("name")?,
        username: data.str("username")?,
        nickname: data.str("nickname")?,
        bio: data.str("bio")?,
        status_text: data.str("statusText")?,
        status_type: data.str("statusType")?,
        current_password: data.str("currentPassword")?,
        new_password: data.str("newPassword")?,
    };
    let user = users::update_own_basic_info(
        &state,
        &caller.user,
        &caller.hashed_token,
        info,
        custom_fields(&params)?,
        &second_factor(&headers),
    )
    .await?;
    user_reply(user)
}

async fn delete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let confirm = params.bool("confirmRelinquish")?.unwrap_or(false);
    let selector = user_selector(&params)?;
    users::delete(
        &state,
        &caller.user,
        Some(peer.ip()),
        selector.as_ref(),
        confirm,
    )
    .await?;
    Ok(Success::new())
}

async fn delete_own_account(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let Some(password) = params.str("password")?.filter(|p| !p.is_empty()) else {
        return Err(Error::plain("Body parameter \"password\" is required."));
    };
    let confirm = params.bool("confirmRelinquish")?.unwrap_or(false);
    users::delete_own_account(&state, &caller.user, &password, confirm).await?;
    Ok(Success::new())
}

async fn set_active_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    only(&params, &["userId", "activeStatus", "confirmRelinquish"])?;
    let user_id = required_str(&params, "userId")?;
    let Some(active) = params.bool("activeStatus")? else {
        return Err(params.missing("activeStatus"));
    };
    let confirm = params.bool("confirmRelinquish")?.unwrap_or(false);
    let user = users::set_active_status(
        &state,
        &caller.user,
        Some(peer.ip()),
        &user_id,
        active,
        confirm,
    )
    .await?;
    user_reply(user)
}

// ---------------------------------------------------------------------------------------------
// Status and presence

async fn set_status(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    // `check(body, Match.OneOf({status: Maybe(String), message: String}, {status: String,
    // message: Maybe(String)}))`.
    let string_or_absent = |key: &str| match params.raw().get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    };
    let (Some(status), Some(message)) = (string_or_absent("status"), string_or_absent("message"))
    else {
        return Err(match_failed());
    };
    if status.is_none() && message.is_none() {
        return Err(match_failed());
    }
    let target = user_selector(&params)?;
    users::set_status(
        &state,
        &caller.user,
        target.as_ref(),
        status.as_deref(),
        message.as_deref(),
    )
    .await?;
    Ok(Success::new())
}

fn match_failed() -> Error {
    Error::plain("Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation")
}

async fn get_status(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let target = user_selector(&params)?;
    let status = users::get_status(&state, &caller.user, target.as_ref()).await?;
    Ok(Success::new().merge(status))
}

async fn get_presence(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let target = user_selector(&params)?;
    let presence = users::get_presence(&state, &caller.user, target.as_ref()).await?;
    Ok(Success::new().merge(presence))
}

async fn presence(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let from = params.str("from")?;
    let ids = params.str_list("ids")?;
    let (items, full) =
        users::presence(&state, &caller.user, from.as_deref(), ids.as_deref()).await?;
    Ok(Success::new().with("users", items).with("full", full))
}

// ---------------------------------------------------------------------------------------------
// Preferences

async fn get_preferences(State(state): State<AppState>, Auth(caller): Auth) -> Reply {
    let preferences = users::get_preferences(&state, &caller.user).await?;
    Ok(Success::new().with("preferences", preferences))
}

async fn set_preferences(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    only(&params, &["userId", "data"])?;
    let user_id = params.str("userId")?;
    let Some(data) = params.object("data")? else {
        return Err(params.missing("data"));
    };
    let user = users::set_preferences(&state, &caller.user, user_id.as_deref(), data).await?;
    user_reply(user)
}

// ---------------------------------------------------------------------------------------------
// Usernames and lookup

async fn check_username_availability(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let username = required_str(&params, "username")?;
    let result = users::check_username_availability(&state, &caller.user, &username).await?;
    Ok(Success::new().with("result", result))
}

async fn username_suggestion(State(state): State<AppState>, Auth(caller): Auth) -> Reply {
    let result = users::username_suggestion(&state, &caller.user).await?;
    Ok(Success::new().with("result", result))
}

async fn autocomplete(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    if !params.has("selector") {
        return Err(params.missing("selector"));
    }
    let Some(Value::Object(selector)) = params.json("selector")? else {
        return Err(Error::failure(
            "error-invalid-query",
            "Invalid query parameter provided: selector must be an object",
        ));
    };
    let selector = Params::from_map(selector, false);
    let parsed = AutocompleteSelector {
        term: selector.str("term")?.unwrap_or_default(),
        exceptions: selector.str_list("exceptions")?.unwrap_or_default(),
        conditions: match selector.value("conditions") {
            None => None,
            Some(conditions @ Value::Object(_)) => Some(conditions.clone()),
            Some(_) => return Err(selector.invalid("'conditions' must be object")),
        },
    };
    let items = users::autocomplete(&state, &caller.user, parsed).await?;
    Ok(Success::new().with("items", items))
}

// ---------------------------------------------------------------------------------------------
// Sessions and personal access tokens

async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let user_id = params.str("userId")?;
    let message =
        users::logout_user(&state, &caller.user, Some(peer.ip()), user_id.as_deref()).await?;
    Ok(Success::new().with("message", message))
}

/// The raw token the request authenticated with (for replies that echo it).
fn raw_token(headers: &HeaderMap, caller: &Caller) -> Option<String> {
    headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|token| hash_login_token(token) == caller.hashed_token)
}

async fn logout_other_clients(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> Reply {
    let Some(token) = raw_token(&headers, &caller) else {
        return Err(Error::failure(
            "error-parameter-required",
            "x-auth-token is required",
        ));
    };
    let expires = users::logout_other_clients(&state, &caller.user, &caller.hashed_token).await?;
    let expires = expires
        .map(|ms| DateStyle::Iso.date(ms))
        .unwrap_or_else(|| Value::String(String::new()));
    Ok(Success::new()
        .with("token", token)
        .with("tokenExpires", expires))
}

async fn remove_other_tokens(State(state): State<AppState>, Auth(caller): Auth) -> Reply {
    users::logout_other_clients(&state, &caller.user, &caller.hashed_token).await?;
    Ok(Success::new())
}

/// `tokenName`, which these endpoints require before anything else.
fn token_name(params: &Params) -> Result<String> {
    match params.str("tokenName")? {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(Error::plain("The 'tokenName' param is required")),
    }
}

/// The second factor the personal-access-token routes require (Rocket.Chat's
/// `twoFactorRequired`).
async fn token_second_factor(state: &AppState, caller: &Caller, headers: &HeaderMap) -> Result<()> {
    access_tokens::check_two_factor(
        state,
        &caller.user,
        Some(&caller.hashed_token),
        &second_factor(headers),
        false,
    )
    .await
}

async fn generate_personal_access_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    token_second_factor(&state, &caller, &headers).await?;
    let name = token_name(&params)?;
    let bypass = params.bool("bypassTwoFactor")?.unwrap_or(false);
    let token = access_tokens::generate(&state, &caller.user, &name, bypass).await?;
    Ok(Success::new().with("token", token))
}

async fn regenerate_personal_access_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    token_second_factor(&state, &caller, &headers).await?;
    let name = token_name(&params)?;
    let token = access_tokens::regenerate(&state, &caller.user, &name).await?;
    Ok(Success::new().with("token", token))
}

async fn remove_personal_access_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    token_second_factor(&state, &caller, &headers).await?;
    let name = token_name(&params)?;
    access_tokens::remove(&state, &caller.user, &name).await?;
    Ok(Success::new())
}

async fn get_personal_access_tokens(State(state): State<AppState>, Auth(caller): Auth) -> Reply {
    let tokens = access_tokens::list(&state, &caller.user).await?;
    Ok(Success::new().with("tokens", tokens))
}
