//! `emoji-custom.list`, `.all`, `.create`, `.update`, `.delete`, and the images at
//! `/emoji-custom/<name>.<ext>`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrochat_model::DateStyle;
use ferrochat_model::time::parse_iso;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::gateway::Auth;
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::custom_emoji::{self, MAX_IMAGE_BYTES};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/emoji-custom.list", get(list))
        .route("/api/v1/emoji-custom.all", get(all))
        .route(
            "/api/v1/emoji-custom.create",
            post(create).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/emoji-custom.update",
            post(update).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 64 * 1024)),
        )
        .route("/api/v1/emoji-custom.delete", post(delete))
}

/// The image route lives outside `/api` (no API headers, cacheable).
pub fn image_routes() -> Router<AppState> {
    Router::new().route("/emoji-custom/{file}", get(image))
}

/// `?updatedSince=`: `{emojis: {update, remove}}`.
async fn list(State(state): State<AppState>, Auth(_caller): Auth, params: Params) -> Reply {
    let since = match params.str_nonempty("updatedSince")? {
        Some(text) => Some(parse_iso(&text).ok_or_else(|| {
            Error::failure(
                "error-roomId-param-invalid",
                "The \"updatedSince\" query parameter must be a valid date.",
            )
        })?),
        None => None,
    };
    let update: Vec<Value> = state
        .store
        .custom_emojis()
        .await?
        .iter()
        .filter(|e| since.is_none_or(|t| e.updated_at > t))
        .map(|e| custom_emoji::to_wire(e, DateStyle::Iso))
        .collect();
    let remove: Vec<Value> = match since {
        Some(t) => state
            .store
            .deleted_custom_emojis(t)
            .await?
            .into_iter()
            .map(|(id, at)| json!({"_id": id, "_deletedAt": DateStyle::Iso.date(at)}))
            .collect(),
        None => Vec::new(),
    };
    Ok(Success::new().with("emojis", json!({"update": update, "remove": remove})))
}

async fn all(State(state): State<AppState>, Auth(_caller): Auth, params: Params) -> Reply {
    let paging = Paging::from_params(&state, &params)?;
    let emojis = state.store.custom_emojis().await?;
    let total = emojis.len() as i64;
    let items: Vec<Value> = emojis
        .iter()
        .skip(paging.offset as usize)
        .take(paging.count.map_or(usize::MAX, |c| c as usize))
        .map(|e| paging.project(custom_emoji::to_wire(e, DateStyle::Iso)))
        .collect();
    Ok(Success::new().page("emojis", items, paging.offset, total))
}

/// The form fields of a create or update request.
#[derive(Default)]
struct EmojiForm {
    id: Option<String>,
    name: Option<String>,
    aliases: String,
    image: Option<Vec<u8>>,
}

async fn read_form(mut multipart: Multipart) -> Result<EmojiForm> {
    let bad = |what: &str| Error::failure("error-invalid-params", what.to_owned());
    let mut form = EmojiForm::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("The request is not valid multipart form data"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "emoji" {
            let mut image = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|_| bad("The upload was cut off"))?
            {
                if image.len() + chunk.len() > MAX_IMAGE_BYTES {
                    return Err(Error::failure(
                        "error-file-too-large",
                        format!("Emoji images may be at most {MAX_IMAGE_BYTES} bytes"),
                    ));
                }
                image.extend_from_slice(&chunk);
            }
            form.image = Some(image);
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| bad("Form fields must be text"))?;
        if text.contains('\0') {
            return Err(bad("Form fields must not contain NUL characters"));
        }
        match name.as_str() {
            "_id" => form.id = Some(text),
            "name" => form.name = Some(text),
            "aliases" => form.aliases = text,
            _ => {}
        }
    }
    Ok(form)
}

async fn create(State(state): State<AppState>, Auth(caller): Auth, multipart: Multipart) -> Reply {
    let form = read_form(multipart).await?;
    let name = form
        .name
        .ok_or_else(|| Error::failure("error-invalid-params", "The 'name' field is required"))?;
    let image = form
        .image
        .ok_or_else(|| Error::failure("error-invalid-params", "The 'emoji' file is required"))?;
    let emoji = custom_emoji::create(&state, &caller.user, &name, &form.aliases, &image).await?;
    Ok(Success::new().with("emoji", custom_emoji::to_wire(&emoji, DateStyle::Iso)))
}

async fn update(State(state): State<AppState>, Auth(caller): Auth, multipart: Multipart) -> Reply {
    let form = read_form(multipart).await?;
    let id = form
        .id
        .ok_or_else(|| Error::failure("error-invalid-params", "The '_id' field is required"))?;
    let name = form
        .name
        .ok_or_else(|| Error::failure("error-invalid-params", "The 'name' field is required"))?;
    let emoji = custom_emoji::update(
        &state,
        &caller.user,
        &id,
        &name,
        &form.aliases,
        form.image.as_deref(),
    )
    .await?;
    Ok(Success::new().with("emoji", custom_emoji::to_wire(&emoji, DateStyle::Iso)))
}

async fn delete(State(state): State<AppState>, Auth(caller): Auth, params: Params) -> Reply {
    let id = params.req_nonempty("emojiId")?;
    custom_emoji::delete(&state, &caller.user, &id).await?;
    Ok(Success::new())
}

/// `GET /emoji-custom/<name>.<ext>`: the image, cacheable, never sniffed or run.
async fn image(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let name = file
        .rsplit_once('.')
        .map_or(file.as_str(), |(name, _)| name);
    let Some((emoji, data)) = state.store.custom_emoji_image(name).await? else {
        return Ok((StatusCode::NOT_FOUND, "Not found").into_response());
    };
    let etag = format!("\"{}\"", emoji.etag);
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        data.into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&emoji.content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
