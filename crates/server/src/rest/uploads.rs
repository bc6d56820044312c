//! File uploads and downloads: `rooms.media/:rid`, `rooms.mediaConfirm/:rid/:fileId`,
//! `rooms.upload/:rid`, `channels.files` / `groups.files` / `im.files`, and
//! `GET /file-upload/:fileId/:name`.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrochat_files::content_type::needs_sandbox;
use ferrochat_model::{DateStyle, RoomType};
use ferrochat_store::uploads::Upload;
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::gateway::auth::caller_or_query_credentials;
use crate::gateway::{Auth, Caller, MaybeAuth};
use crate::paging::Paging;
use crate::params::Params;
use crate::rest::{Reply, Success};
use crate::services::uploads::{self, Spooled};
use crate::services::{message_access, user_rooms};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/rooms.media/{rid}",
            // Uploads are size-checked while they stream (`FileUpload_MaxFileSize`).
            post(media).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/rooms.upload/{rid}",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/rooms.mediaConfirm/{rid}/{file_id}", post(confirm))
        .route("/api/v1/channels.files", get(files::<'c'>))
        .route("/api/v1/groups.files", get(files::<'p'>))
        .route("/api/v1/im.files", get(files::<'d'>))
        .route("/api/v1/dm.files", get(files::<'d'>))
}

/// Downloads live outside `/api`: cacheable by the browser, no API headers.
pub fn download_routes() -> Router<AppState> {
    Router::new().route("/file-upload/{file_id}/{name}", get(download))
}

/// The parts of an upload form: the file (spooled) and the text fields around it.
struct UploadForm {
    file: Option<Spooled>,
    fields: HashMap<String, String>,
}

async fn read_form(state: &AppState, mut multipart: Multipart) -> Result<UploadForm> {
    let bad = |what: &str| Error::failure("error-invalid-params", what.to_owned());
    let mut form = UploadForm {
        file: None,
        fields: HashMap::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("The request is not valid multipart form data"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if form.file.is_some() {
                return Err(bad("Only one file may be uploaded at a time"));
            }
            let file_name = field.file_name().unwrap_or("file").to_owned();
            form.file = Some(uploads::spool(state, &file_name, field).await?);
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| bad("Form fields must be text"))?;
        if text.contains('\0') || text.len() > 64 * 1024 {
            return Err(bad("Form field values must be text of at most 64 KiB"));
        }
        form.fields.insert(name, text);
    }
    Ok(form)
}

fn opt(fields: &HashMap<String, String>, key: &str) -> Option<String> {
    fields.get(key).filter(|v| !v.is_empty()).cloned()
}

async fn receive(
    state: &AppState,
    caller: &Caller,
    rid: &str,
    multipart: Multipart,
) -> Result<(Upload, HashMap<String, String>)> {
    let room = message_access::readable_room(state, &caller.user, rid).await?;
    uploads::check_can_upload(state, &caller.user, &room).await?;
    let form = read_form(state, multipart).await?;
    let file = form
        .file
        .ok_or_else(|| Error::failure("error-invalid-params", "The 'file' field is required"))?;
    let description = opt(&form.fields, "description");
    let upload = uploads::store(state, &caller.user, &room, file, description).await?;
    Ok((upload, form.fields))
}

/// `{file: {_id, url}}`: stored, not yet in a message.
async fn media(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(rid): Path<String>,
    multipart: Multipart,
) -> Reply {
    let (upload, _) = receive(&state, &caller, &rid, multipart).await?;
    Ok(Success::new().with(
        "file",
        serde_json::json!({"_id": upload.id, "url": uploads::url(&upload)}),
    ))
}

/// `{msg?, description?, tmid?}`: `{message}`.
async fn confirm(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((rid, file_id)): Path<(String, String)>,
    params: Params,
) -> Reply {
    let message = uploads::confirm(
        &state,
        &caller.user,
        &rid,
        &file_id,
        params.str("msg")?,
        params.str("description")?,
        params.str_nonempty("tmid")?,
    )
    .await?;
    Ok(Success::new().with("message", message.to_wire(DateStyle::Iso)))
}

/// The one-step upload: stored and posted at once.
async fn upload(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(rid): Path<String>,
    multipart: Multipart,
) -> Reply {
    let (upload, fields) = receive(&state, &caller, &rid, multipart).await?;
    let message = uploads::confirm(
        &state,
        &caller.user,
        &rid,
        &upload.id,
        opt(&fields, "msg"),
        opt(&fields, "description"),
        opt(&fields, "tmid"),
    )
    .await?;
    Ok(Success::new().with("message", message.to_wire(DateStyle::Iso)))
}

/// `?roomId=|roomName=&name=`: the room's files, newest first.
async fn files<const T: char>(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> Reply {
    let rid = params.str_nonempty("roomId")?;
    let name = params.str_nonempty("roomName")?;
    if rid.is_none() && name.is_none() {
        return Err(params.missing("roomId"));
    }
    let room =
        user_rooms::find_by_id_or_name(&state, rid.as_deref(), name.as_deref(), true).await?;
    let wanted = match T {
        'c' => RoomType::Channel,
        'p' => RoomType::Group,
        _ => RoomType::Direct,
    };
    if room.t != wanted {
        return Err(Error::failure(
            "error-room-not-found",
            "The required room was not found",
        ));
    }
    let paging = Paging::from_params(&state, &params)?;
    let (found, total) = uploads::room_files(
        &state,
        &caller.user,
        &room,
        params.str_nonempty("name")?.as_deref(),
        paging.page(),
    )
    .await?;
    let items: Vec<Value> = found
        .iter()
        .map(|u| paging.project(uploads::to_wire(u, DateStyle::Iso)))
        .collect();
    Ok(Success::new().page("files", items, paging.offset, total))
}

/// `Range: bytes=a-b | a- | -n`, as a half-open range; `Err` when it cannot be satisfied.
fn parse_range(header: &str, size: u64) -> Option<std::result::Result<(u64, u64), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        // Several ranges: answer with the whole file, as HTTP allows.
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let parsed = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 {
                return Some(Err(()));
            }
            (size.saturating_sub(n), size)
        }
        (start, "") => (start.parse().ok()?, size),
        (start, end) => {
            let start: u64 = start.parse().ok()?;
            let end: u64 = end.parse().ok()?;
            if end < start {
                return None;
            }
            (start, end.saturating_add(1).min(size))
        }
    };
    if parsed.0 >= size || parsed.0 >= parsed.1 {
        return Some(Err(()));
    }
    Some(Ok(parsed))
}

/// `Content-Disposition` with the name quoted for old clients and UTF-8 for new ones.
fn disposition(kind: &str, name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /file-upload/:fileId/:name`: credentials from the headers, the `rc_uid`/`rc_token`
/// cookies, or the `rc_uid`/`rc_token` query parameters, checked against the file's room on
/// every request; ranges; never rendered as active content.
async fn download(
    State(state): State<AppState>,
    MaybeAuth(caller): MaybeAuth,
    Path((file_id, _name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response> {
    let user = caller_or_query_credentials(&state, caller, &query).await?;
    let upload = uploads::authorize_download(&state, user.as_ref(), &file_id).await?;
    let size = upload.size.max(0) as u64;
    let range = match headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| parse_range(h, size))
    {
        None => None,
        Some(Ok(range)) => Some(range),
        Some(Err(())) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let stream = uploads::read(&state, &upload, range).await?;
    let body = Body::from_stream(stream.map(|chunk| chunk.map_err(std::io::Error::other)));
    let mut response = body.into_response();
    let (start, end) = range.unwrap_or((0, size));
    *response.status_mut() = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let out = response.headers_mut();
    let risky = needs_sandbox(&upload.content_type);
    let content_type = if risky {
        "application/octet-stream"
    } else {
        upload.content_type.as_str()
    };
    if let Ok(value) = HeaderValue::from_str(content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if range.is_some()
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        out.insert(header::CONTENT_RANGE, value);
    }
    let download = risky || query.contains_key("download");
    out.insert(
        header::CONTENT_DISPOSITION,
        disposition(if download { "attachment" } else { "inline" }, &upload.name),
    );
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 10))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=95-200", 100), Some(Ok((95, 100))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=-0", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
