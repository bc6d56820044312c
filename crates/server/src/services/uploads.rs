//! Uploading, confirming, listing, serving and deleting files (`rooms.media`,
//! `rooms.mediaConfirm`, `rooms.upload`, `channels.files`, `/file-upload/...`).
//!
//! An upload is received into the spool directory (streamed, size-capped), its type is
//! decided from its bytes and checked against the media-type settings, it is scanned by
//! clamd when one is configured, and only then streamed into the blob store: a refused or
//! infected file never reaches storage, and a cut-off upload leaves nothing behind. The
//! upload stays unconfirmed until a message carries it.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ferrochat_files::clamd::ScanVerdict;
use ferrochat_files::{BlobError, BlobId, BlobStream, ByteStream, content_type, images};
use ferrochat_model::time::{iso, now_ms};
use ferrochat_model::{Message, Room, RoomType, User};
use ferrochat_store::Page;
use ferrochat_store::uploads::Upload;
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::services::messages::{self, NewMessage};
use crate::services::{message_access, rooms};
use crate::state::AppState;

/// Images up to this size get dimensions and a preview; larger ones are served as they are.
const MAX_IDENTIFIED_IMAGE: u64 = 25 * 1024 * 1024;
/// The side of the tiny blurred preview clients show while the image loads.
const PREVIEW_SIDE: u32 = 32;
/// How much of a file decides its type.
const SNIFF_BYTES: usize = 8 * 1024;

/// A file received into the spool, not yet stored. Dropping it deletes the spool file.
pub struct Spooled {
    path: PathBuf,
    pub size: u64,
    pub name: String,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        // Best effort: the sweeper removes what a crash leaves behind.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn too_large(limit: i64) -> Error {
    Error::failure(
        "error-file-too-large",
        format!("File exceeds allowed size of {limit} bytes"),
    )
}

/// The upload size limit in bytes (`FileUpload_MaxFileSize`; negative means none).
fn max_size(state: &AppState) -> Option<u64> {
    let limit = state.settings.int("FileUpload_MaxFileSize");
    u64::try_from(limit).ok()
}

/// Checks that `user` may upload into `room` at all.
pub async fn check_can_upload(state: &AppState, user: &User, room: &Room) -> Result<()> {
    let enabled = state.settings.bool("FileUpload_Enabled")
        && (room.t != RoomType::Direct || state.settings.bool("FileUpload_Enabled_Direct"));
    if !enabled {
        return Err(Error::failure(
            "error-file-upload-disabled",
            "File upload is disabled",
        ));
    }
    messages::check_can_post(state, room, user).await
}

/// Receives one file part into the spool, enforcing the size limit as bytes arrive.
pub async fn spool<S, E>(state: &AppState, name: &str, mut body: S) -> Result<Spooled>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
{
    let limit = max_size(state);
    let path = state.files.spool.join(BlobId::generate().as_str());
    let mut spooled = Spooled {
        path,
        size: 0,
        name: ferrochat_files::sanitize_file_name(name),
    };
    let mut file = tokio::fs::File::create(&spooled.path)
        .await
        .map_err(io_error)?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|_| Error::failure("error-upload-interrupted", "The upload was cut off"))?;
        spooled.size += chunk.len() as u64;
        if limit.is_some_and(|limit| spooled.size > limit) {
            return Err(too_large(state.settings.int("FileUpload_MaxFileSize")));
        }
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    file.flush().await.map_err(io_error)?;
    Ok(spooled)
}

fn io_error(e: std::io::Error) -> Error {
    tracing::error!(error = %e, "upload spool i/o failed");
    Error::Internal
}

fn blob_error(e: BlobError) -> Error {
    match e {
        BlobError::NotFound | BlobError::InvalidId => Error::NotFound("File not found".into()),
        BlobError::RangeNotSatisfiable { .. } => Error::failure(
            "error-range-not-satisfiable",
            "The requested range is not satisfiable",
        ),
        other => {
            tracing::error!(error = %other, "blob store failed");
            Error::Internal
        }
    }
}

async fn file_stream(path: &Path) -> Result<ByteStream> {
    let file = tokio::fs::File::open(path).await.map_err(io_error)?;
    Ok(Box::pin(tokio_util::io::ReaderStream::new(file)))
}

async fn head_bytes(path: &Path) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.map_err(io_error)?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        let n = file.read(&mut head[filled..]).await.map_err(io_error)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    Ok(head)
}

/// `text/plain` for UTF-8 text without control characters (a cut-off multi-byte character at
/// the end of the sniffed bytes is fine), `application/octet-stream` otherwise.
fn plain_or_binary(head: &[u8]) -> &'static str {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return "application/octet-stream",
    };
    if text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// What an image upload yields besides its bytes.
struct Identified {
    width: u32,
    height: u32,
    /// Base64 of a tiny version, shown while the image loads (`image_preview`).
    preview: String,
    /// A smaller copy for the message, when the image exceeds the thumbnail box.
    thumbnail: Option<images::Thumbnail>,
}

/// Dimensions, preview and thumbnail of an image, when it is one and small enough to decode.
async fn identify(
    spooled: &Spooled,
    content_type: &str,
    thumbnail_box: Option<(u32, u32)>,
) -> Option<Identified> {
    if !content_type.starts_with("image/") || spooled.size > MAX_IDENTIFIED_IMAGE {
        return None;
    }
    let bytes = tokio::fs::read(&spooled.path).await.ok()?;
    tokio::task::spawn_blocking(move || {
        let (width, height) = images::image_info(&bytes).ok()?;
        let small = images::thumbnail(&bytes, PREVIEW_SIDE).ok()?;
        use base64::Engine;
        let preview = base64::engine::general_purpose::STANDARD.encode(&small.bytes);
        // Fit the box by its shorter side, so any aspect ratio stays inside it.
        let thumbnail = thumbnail_box
            .filter(|(w, h)| width > *w || height > *h)
            .and_then(|(w, h)| images::thumbnail(&bytes, w.min(h)).ok());
        Some(Identified {
            width,
            height,
            preview,
            thumbnail,
        })
    })
    .await
    .ok()
    .flatten()
}

fn thumbnail_box(state: &AppState) -> Option<(u32, u32)> {
    if !state
        .settings
        .bool("Message_Attachments_Thumbnails_Enabled")
    {
        return None;
    }
    let side = |id: &str| {
        u32::try_from(state.settings.int(id))
            .ok()
            .filter(|v| *v > 0)
    };
    Some((
        side("Message_Attachments_Thumbnails_Width")?,
        side("Message_Attachments_Thumbnails_Height")?,
    ))
}

/// The first bytes of a spooled file (what its type is decided from).
pub async fn head_of(spooled: &Spooled) -> Result<Vec<u8>> {
    head_bytes(&spooled.path).await
}

/// Refuses an image whose header cannot be read or that is too large to decode safely.
pub async fn check_image(spooled: &Spooled) -> Result<()> {
    let bytes = tokio::fs::read(&spooled.path).await.map_err(io_error)?;
    let readable = tokio::task::spawn_blocking(move || images::image_info(&bytes).is_ok())
        .await
        .unwrap_or(false);
    if readable {
        Ok(())
    } else {
        Err(Error::failure(
            "error-invalid-image",
            "The image cannot be read or is too large",
        ))
    }
}

/// Streams a spooled file into the blob store under `id`.
pub async fn put_spooled(state: &AppState, id: &BlobId, spooled: &Spooled) -> Result<u64> {
    state
        .files
        .blobs
        .put(id, file_stream(&spooled.path).await?)
        .await
        .map_err(blob_error)
}

/// Checks, scans and stores a spooled file; records it as an unconfirmed upload of `room`.
pub async fn store(
    state: &AppState,
    user: &User,
    room: &Room,
    spooled: Spooled,
    description: Option<String>,
) -> Result<Upload> {
    if spooled.size == 0 {
        return Err(Error::failure("error-file-empty", "The file is empty"));
    }
    let head = head_bytes(&spooled.path).await?;
    // What the bytes are; text without a signature is text/plain, anything else unknown is
    // an opaque binary. The client's claimed type and the file name play no part.
    let content_type = content_type::sniff(&head).unwrap_or_else(|| plain_or_binary(&head));
    let whitelist = state.settings.string("FileUpload_MediaTypeWhiteList");
    let blacklist = state.settings.string("FileUpload_MediaTypeBlackList");
    if !content_type::is_allowed(Some(content_type), &whitelist, &blacklist) {
        return Err(Error::failure(
            "error-invalid-file-type",
            "File type is not accepted",
        ));
    }
    if let Some(clamd) = &state.files.clamd {
        match clamd.scan(file_stream(&spooled.path).await?).await {
            Ok(ScanVerdict::Clean) => {}
            Ok(ScanVerdict::Infected(signature)) => {
                tracing::warn!(user = %user.username, %signature, "refused an infected upload");
                return Err(Error::failure(
                    "error-virus-detected",
                    format!("The file is infected ({signature}) and was not stored"),
                ));
            }
            Err(e) => {
                // Fail closed: an unscanned file is not accepted while scanning is on.
                tracing::error!(error = %e, "clamd could not scan an upload");
                return Err(Error::Unavailable);
            }
        }
    }
    let id = BlobId::generate();
    let stored = put_spooled(state, &id, &spooled).await?;
    let mut extra = Map::new();
    if let Some(description) = description.filter(|d| !d.trim().is_empty()) {
        extra.insert("description".into(), json!(description));
    }
    let now = now_ms();
    if let Some(image) = identify(&spooled, content_type, thumbnail_box(state)).await {
        extra.insert(
            "identify".into(),
            json!({"size": {"width": image.width, "height": image.height}}),
        );
        extra.insert("preview".into(), json!(image.preview));
        if let Some(thumbnail) = image.thumbnail {
            match store_thumbnail(
                state,
                user,
                room,
                &spooled.name,
                id.as_str(),
                thumbnail,
                now,
            )
            .await
            {
                Ok(thumb_id) => {
                    extra.insert("thumb_id".into(), json!(thumb_id));
                }
                // The original is still good; the message shows it in full.
                Err(e) => tracing::warn!(error = %e, "could not store a thumbnail"),
            }
        }
    }
    let upload = Upload {
        id: id.as_str().to_owned(),
        rid: room.id.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        name: spooled.name.clone(),
        content_type: content_type.to_owned(),
        size: stored as i64,
        store: state.files.backend.to_owned(),
        complete: false,
        uploaded_at: now,
        updated_at: now,
        extra,
        thumb_of: None,
    };
    if let Err(e) = state.store.insert_upload(&upload).await {
        let _ = state.files.blobs.delete(&id).await;
        return Err(e.into());
    }
    Ok(upload)
}

/// Stores a thumbnail of upload `original` as an upload of its own; returns its id.
async fn store_thumbnail(
    state: &AppState,
    user: &User,
    room: &Room,
    name: &str,
    original: &str,
    thumbnail: images::Thumbnail,
    now: i64,
) -> Result<String> {
    let id = BlobId::generate();
    let size = thumbnail.bytes.len() as i64;
    let chunk: std::result::Result<Bytes, std::io::Error> = Ok(Bytes::from(thumbnail.bytes));
    let body: ByteStream = Box::pin(futures_util::stream::iter([chunk]));
    state.files.blobs.put(&id, body).await.map_err(blob_error)?;
    let upload = Upload {
        id: id.as_str().to_owned(),
        rid: room.id.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        name: format!("thumb-{name}"),
        content_type: thumbnail.content_type.to_owned(),
        size,
        store: state.files.backend.to_owned(),
        complete: false,
        uploaded_at: now,
        updated_at: now,
        extra: Map::from_iter([(
            "identify".to_owned(),
            json!({"size": {"width": thumbnail.width, "height": thumbnail.height}}),
        )]),
        thumb_of: Some(original.to_owned()),
    };
    if let Err(e) = state.store.insert_upload(&upload).await {
        let _ = state.files.blobs.delete(&id).await;
        return Err(e.into());
    }
    Ok(upload.id)
}

/// The path clients fetch a file from.
pub fn url(upload: &Upload) -> String {
    format!(
        "/file-upload/{}/{}",
        upload.id,
        url::form_urlencoded::byte_serialize(upload.name.as_bytes()).collect::<String>()
    )
}

fn file_doc(upload: &Upload) -> Value {
    let format = upload
        .name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    json!({
        "_id": upload.id,
        "name": upload.name,
        "type": upload.content_type,
        "size": upload.size,
        "format": format.unwrap_or_default(),
    })
}

/// The message fields that describe an attached file (`file`, `files`, `attachments`); an
/// image with a thumbnail shows the thumbnail and lists both.
fn message_fields(
    upload: &Upload,
    thumbnail: Option<&Upload>,
    description: Option<&str>,
) -> Vec<(&'static str, Value)> {
    let link = url(upload);
    let file = file_doc(upload);
    let mut attachment = json!({
        "ts": iso(upload.uploaded_at),
        "title": upload.name,
        "title_link": link,
        "title_link_download": true,
        "type": "file",
    });
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        attachment["description"] = json!(description);
    }
    let kind = upload.content_type.split('/').next().unwrap_or_default();
    match kind {
        "image" => {
            attachment["image_url"] = json!(thumbnail.map_or_else(|| link.clone(), url));
            attachment["image_type"] = json!(upload.content_type);
            attachment["image_size"] = json!(upload.size);
            if let Some(size) = upload.extra.get("identify").and_then(|i| i.get("size")) {
                attachment["image_dimensions"] = size.clone();
            }
            if let Some(preview) = upload.extra.get("preview") {
                attachment["image_preview"] = preview.clone();
            }
        }
        "audio" | "video" => {
            attachment[format!("{kind}_url")] = json!(link);
            attachment[format!("{kind}_type")] = json!(upload.content_type);
            attachment[format!("{kind}_size")] = json!(upload.size);
        }
        _ => {}
    }
    let mut files = vec![file.clone()];
    files.extend(thumbnail.map(file_doc));
    vec![
        ("file", file),
        ("files", json!(files)),
        ("attachments", json!([attachment])),
    ]
}

/// `rooms.mediaConfirm`: posts the message that carries an upload of the caller's.
pub async fn confirm(
    state: &AppState,
    user: &User,
    rid: &str,
    file_id: &str,
    msg: Option<String>,
    description: Option<String>,
    tmid: Option<String>,
) -> Result<Message> {
    let not_found = || Error::failure("error-file-not-found", "File not found");
    let mut upload = state.store.upload(file_id).await?.ok_or_else(not_found)?;
    if upload.rid != rid || upload.user_id != user.id || upload.complete {
        return Err(not_found());
    }
    let room = message_access::readable_room(state, user, rid).await?;
    check_can_upload(state, user, &room).await?;
    let description = description.or_else(|| {
        upload
            .extra
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let mut new = NewMessage {
        msg: msg.unwrap_or_default(),
        tmid,
        ..NewMessage::default()
    };
    let mut thumbnail = match upload.extra.get("thumb_id").and_then(Value::as_str) {
        Some(id) => state.store.upload(id).await?,
        None => None,
    };
    let fields = message_fields(&upload, thumbnail.as_ref(), description.as_deref());
    new.attachments = fields
        .iter()
        .find(|(k, _)| *k == "attachments")
        .and_then(|(_, v)| v.as_array().cloned());
    // Claimed before posting, so two confirmations of one upload cannot both post.
    if !state.store.claim_upload(&upload.id, now_ms()).await? {
        return Err(not_found());
    }
    let sent = match messages::send_with_file(state, user, &room, new, &fields).await {
        Ok(sent) => sent,
        Err(e) => {
            state.store.release_upload(&upload.id).await?;
            return Err(e);
        }
    };
    upload
        .extra
        .insert("message_id".into(), json!(sent.id.clone()));
    state.store.complete_upload(&upload, now_ms()).await?;
    if let Some(thumbnail) = thumbnail.as_mut() {
        thumbnail
            .extra
            .insert("message_id".into(), json!(sent.id.clone()));
        state.store.complete_upload(thumbnail, now_ms()).await?;
    }
    Ok(sent)
}

/// Who may fetch a file: anyone when `FileUpload_ProtectFiles` is off, otherwise a user who
/// can read the file's room.
pub async fn authorize_download(
    state: &AppState,
    user: Option<&User>,
    file_id: &str,
) -> Result<Upload> {
    let not_found = || Error::NotFound("File not found".into());
    let upload = state
        .store
        .upload(file_id)
        .await?
        .filter(|u| u.complete)
        .ok_or_else(not_found)?;
    if !state.settings.bool("FileUpload_ProtectFiles") {
        return Ok(upload);
    }
    let Some(user) = user else {
        return Err(Error::Forbidden);
    };
    let room = state
        .store
        .room_by_id(&upload.rid)
        .await?
        .ok_or_else(not_found)?;
    if !rooms::can_read(state, &room, user).await? {
        return Err(Error::Forbidden);
    }
    Ok(upload)
}

/// The bytes of a file (or of `range`, half-open).
pub async fn read(
    state: &AppState,
    upload: &Upload,
    range: Option<(u64, u64)>,
) -> Result<BlobStream> {
    if upload.store != state.files.backend {
        tracing::error!(file = %upload.id, store = %upload.store, "file is in a storage backend this server no longer uses");
        return Err(Error::NotFound("File not found".into()));
    }
    let id = BlobId::parse(&upload.id).map_err(blob_error)?;
    state.files.blobs.get(&id, range).await.map_err(blob_error)
}

/// A room's files (`channels.files` and friends), for readers of the room.
pub async fn room_files(
    state: &AppState,
    user: &User,
    room: &Room,
    name: Option<&str>,
    page: Page,
) -> Result<(Vec<Upload>, i64)> {
    rooms::require_read(state, room, user).await?;
    Ok(state.store.room_uploads(&room.id, name, page).await?)
}

/// A file as the file lists show it.
pub fn to_wire(upload: &Upload, style: ferrochat_model::DateStyle) -> Value {
    let mut doc = json!({
        "_id": upload.id,
        "name": upload.name,
        "type": upload.content_type,
        "size": upload.size,
        "rid": upload.rid,
        "userId": upload.user_id,
        "user": {"_id": upload.user_id, "username": upload.username},
        "store": upload.store,
        "complete": upload.complete,
        "uploading": false,
        "uploadedAt": style.date(upload.uploaded_at),
        "_updatedAt": style.date(upload.updated_at),
        "url": url(upload),
        "path": url(upload),
    });
    if let Some(identify) = upload.extra.get("identify") {
        doc["identify"] = identify.clone();
    }
    if let Some(description) = upload.extra.get("description") {
        doc["description"] = description.clone();
    }
    doc
}

/// Deletes the files a message carried (the message itself is deleted by the caller).
pub async fn delete_files_of(state: &AppState, message: &Message) {
    let ids: Vec<String> = message
        .extra
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    for id in ids {
        if let Ok(blob) = BlobId::parse(&id)
            && let Err(e) = state.files.blobs.delete(&blob).await
        {
            tracing::warn!(error = %e, file = %id, "could not delete a deleted message's file");
        }
        if let Err(e) = state.store.delete_upload(&id).await {
            tracing::warn!(error = %e, file = %id, "could not delete an upload record");
        }
    }
}

/// Deletes uploads that were never confirmed, and leftover spool files, older than a day.
pub async fn sweep(state: &AppState) {
    let before = now_ms() - 24 * 3600 * 1000;
    match state.store.stale_uploads(before).await {
        Ok(stale) => {
            for upload in stale {
                if let Ok(id) = BlobId::parse(&upload.id) {
                    let _ = state.files.blobs.delete(&id).await;
                }
                let _ = state.store.delete_upload(&upload.id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list stale uploads"),
    }
    if let Ok(mut entries) = tokio::fs::read_dir(&state.files.spool).await {
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
        while let Ok(Some(entry)) = entries.next_entry().await {
            let old = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if old {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}
