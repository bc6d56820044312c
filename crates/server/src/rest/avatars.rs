//! `users.setAvatar`, `users.resetAvatar`, and the avatar images at `/avatar/:username` and
//! `/avatar/room/:rid`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;

use crate::error::{Error, Result};
use crate::gateway::auth::caller_or_query_credentials;
use crate::gateway::{Auth, MaybeAuth};
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::avatars::{self, Picture};
use crate::services::room_admin::{self, UserSelector};
use crate::services::uploads;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/users.setAvatar",
            post(set_avatar).layer(DefaultBodyLimit::max(
                avatars::MAX_AVATAR_BYTES as usize + 64 * 1024,
            )),
        )
        .route("/api/v1/users.resetAvatar", post(reset_avatar))
}

/// The images live outside `/api` (cacheable).
pub fn image_routes() -> Router<AppState> {
    Router::new()
        .route("/avatar/{username}", get(user_avatar))
        .route("/avatar/room/{rid}", get(room_avatar))
}

async fn target(
    state: &AppState,
    caller: &ferrochat_model::User,
    user_id: Option<String>,
    username: Option<String>,
) -> Result<ferrochat_model::User> {
    if user_id.is_none() && username.is_none() {
        return Ok(caller.clone());
    }
    room_admin::resolve_user(
        state,
        &UserSelector {
            id: user_id,
            username,
        },
    )
    .await
}

/// Multipart with an `image` file, or `{avatarUrl}` (fetched through the outbound guard); with
/// `userId` / `username` for someone else's avatar.
async fn set_avatar(State(state): State<AppState>, Auth(caller): Auth, request: Request) -> Reply {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let params = Params::from_request(request, &state).await?;
        let url = params.req_nonempty("avatarUrl")?;
        let target = target(
            &state,
            &caller.user,
            params.str_nonempty("userId")?,
            params.str_nonempty("username")?,
        )
        .await?;
        avatars::set_from_url(&state, &caller.user, &target, &url).await?;
        return Ok(Success::new());
    }
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| Error::failure("error-invalid-params", "Invalid multipart form data"))?;
    let mut image = None;
    let mut fields: HashMap<String, String> = HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| Error::failure("error-invalid-params", "Invalid multipart form data"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "image" {
            image = Some(uploads::spool(&state, "avatar", field).await?);
        } else {
            let text = field
                .text()
                .await
                .map_err(|_| Error::failure("error-invalid-params", "Form fields must be text"))?;
            fields.insert(name, text);
        }
    }
    let image = image
        .ok_or_else(|| Error::failure("error-invalid-params", "The 'image' file is required"))?;
    let nonempty = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
    let target = target(
        &state,
        &caller.user,
        nonempty("userId"),
        nonempty("username"),
    )
    .await?;
    avatars::set(&state, &caller.user, &target, image).await?;
    Ok(Success::new())
}

/// `{userId?, username?}`.
async fn reset_avatar(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let target = target(
        &state,
        &caller.user,
        params.str_nonempty("userId")?,
        params.str_nonempty("username")?,
    )
    .await?;
    avatars::reset(&state, &caller.user, &target).await?;
    Ok(Success::new())
}

fn respond(state: &AppState, picture: Picture, headers: &HeaderMap) -> Response {
    let (etag, content_type, body) = match picture {
        Picture::Stored {
            content_type,
            etag,
            bytes,
        } => (
            etag,
            content_type,
            Body::from_stream(bytes.map(|chunk| chunk.map_err(std::io::Error::other))),
        ),
        Picture::Generated { svg, etag } => (etag, "image/svg+xml".to_owned(), Body::from(svg)),
    };
    let quoted = format!("\"{etag}\"");
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == quoted));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&quoted) {
        out.insert(header::ETAG, value);
    }
    let max_age = state.settings.int("Accounts_AvatarCacheTime").max(0);
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        out.insert(header::CACHE_CONTROL, value);
    }
    // Generated SVG holds nothing but a letter; still, nothing here may run.
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    response
}

async fn user_avatar(
    State(state): State<AppState>,
    MaybeAuth(caller): MaybeAuth,
    Path(username): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response> {
    let viewer = caller_or_query_credentials(&state, caller, &query).await?;
    if !avatars::may_view(&state, viewer.as_ref()) {
        return Err(Error::Forbidden);
    }
    let picture = avatars::of_user(&state, username.trim_start_matches('@')).await?;
    Ok(respond(&state, picture, &headers))
}

async fn room_avatar(
    State(state): State<AppState>,
    MaybeAuth(caller): MaybeAuth,
    Path(rid): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response> {
    let viewer = caller_or_query_credentials(&state, caller, &query).await?;
    if !avatars::may_view(&state, viewer.as_ref())
        || !avatars::may_view_room(&state, viewer.as_ref(), &rid).await?
    {
        return Err(Error::Forbidden);
    }
    let picture = avatars::of_room(&state, viewer.as_ref(), &rid).await?;
    Ok(respond(&state, picture, &headers))
}
