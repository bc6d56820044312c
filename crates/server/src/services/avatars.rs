//! Avatars: images users upload for themselves (or admins for them, with
//! `edit-other-user-avatar`), and the initials picture everyone else gets, for users
//! (`/avatar/:username`) and rooms (`/avatar/room/:rid`). Uploaded images are checked on
//! their bytes and stored in the blob store; changes go out as `updateAvatar`.

use ferrochat_files::{BlobId, BlobStream, content_type};
use ferrochat_model::time::now_ms;
use ferrochat_model::{Room, RoomType, User};
use ferrochat_store::avatars::Avatar;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::services::uploads::{self, Spooled};
use crate::services::{events, outbound, rooms};
use crate::state::AppState;

/// The largest avatar image accepted.
pub const MAX_AVATAR_BYTES: u64 = 5 * 1024 * 1024;

const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

const PALETTE: [&str; 12] = [
    "#C62828", "#AD1457", "#6A1B9A", "#4527A0", "#283593", "#1565C0", "#00695C", "#2E7D32",
    "#558B2F", "#EF6C00", "#D84315", "#4E342E",
];

fn subject_of_user(user: &User) -> String {
    format!("user:{}", user.id)
}

/// An avatar to send: an uploaded image, or generated SVG.
pub enum Picture {
    Stored {
        content_type: String,
        etag: String,
        bytes: BlobStream,
    },
    Generated {
        svg: String,
        etag: String,
    },
}

fn escape_xml(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A square with the name's first letter or digit, in a colour chosen by the name.
pub fn initials_svg(name: &str) -> Picture {
    let initial: String = name
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".to_owned());
    let digest = Sha256::digest(name.as_bytes());
    let color = PALETTE[usize::from(digest[0]) % PALETTE.len()];
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 200\">\
         <rect width=\"100%\" height=\"100%\" fill=\"{color}\"/>\
         <text x=\"50%\" y=\"50%\" dy=\"0.36em\" text-anchor=\"middle\" pointer-events=\"none\" \
         fill=\"#ffffff\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"125\">{}</text></svg>",
        escape_xml(&initial)
    );
    let etag = format!("g-{}", hex::encode(&Sha256::digest(svg.as_bytes())[..8]));
    Picture::Generated { svg, etag }
}

async fn stored(state: &AppState, subject: &str) -> Result<Option<Picture>> {
    let Some(avatar) = state.store.avatar(subject).await? else {
        return Ok(None);
    };
    let Ok(id) = BlobId::parse(&avatar.blob_id) else {
        return Ok(None);
    };
    match state.files.blobs.get(&id, None).await {
        Ok(bytes) => Ok(Some(Picture::Stored {
            content_type: avatar.content_type,
            etag: avatar.etag,
            bytes,
        })),
        Err(e) => {
            tracing::warn!(error = %e, subject, "an avatar's image is missing");
            Ok(None)
        }
    }
}

/// `/avatar/:username`: the user's image, or initials (also for names no user has, as
/// Rocket.Chat does, so the answer does not reveal who exists).
pub async fn of_user(state: &AppState, username: &str) -> Result<Picture> {
    if let Some(user) = state.store.user_by_username(username).await?
        && let Some(picture) = stored(state, &subject_of_user(&user)).await?
    {
        return Ok(picture);
    }
    Ok(initials_svg(username))
}

/// `/avatar/room/:rid`: a direct room shows the other member; other rooms their initials.
pub async fn of_room(state: &AppState, viewer: Option<&User>, rid: &str) -> Result<Picture> {
    let Some(room) = state.store.room_by_id(rid).await? else {
        return Ok(initials_svg("?"));
    };
    if room.t == RoomType::Direct {
        let other = room
            .usernames
            .iter()
            .find(|u| viewer.is_none_or(|v| &v.username != *u))
            .or_else(|| room.usernames.first());
        if let Some(other) = other {
            return of_user(state, other).await;
        }
    }
    if let Some(picture) = stored(state, &format!("room:{}", room.id)).await? {
        return Ok(picture);
    }
    Ok(initials_svg(room_label(&room)))
}

fn room_label(room: &Room) -> &str {
    room.fname
        .as_deref()
        .or(room.name.as_deref())
        .unwrap_or("?")
}

async fn check_may_change(state: &AppState, caller: &User, target: &User) -> Result<()> {
    if caller.id == target.id {
        if state.settings.bool("Accounts_AllowUserAvatarChange")
            || state.authz.has_global(caller, "edit-other-user-avatar")
        {
            return Ok(());
        }
        return Err(Error::failure(
            "error-not-allowed",
            "Changing avatar is not allowed",
        ));
    }
    if state
        .authz
        .has(&state.store, caller, "edit-other-user-avatar", None)
        .await?
    {
        Ok(())
    } else {
        Err(Error::failure("error-not-allowed", "Not allowed"))
    }
}

fn announce(state: &AppState, user: &User, etag: Option<&str>) {
    events::notify_logged(
        state,
        "updateAvatar",
        json!([{"username": user.username, "etag": etag}]),
    );
}

/// `users.setAvatar` with an uploaded image.
pub async fn set(state: &AppState, caller: &User, target: &User, image: Spooled) -> Result<()> {
    check_may_change(state, caller, target).await?;
    if image.size > MAX_AVATAR_BYTES {
        return Err(Error::failure(
            "error-file-too-large",
            format!("Avatars may be at most {MAX_AVATAR_BYTES} bytes"),
        ));
    }
    let head = uploads::head_of(&image).await?;
    let detected = content_type::sniff(&head).unwrap_or("application/octet-stream");
    if !IMAGE_TYPES.contains(&detected) {
        return Err(Error::failure(
            "error-invalid-image",
            "Avatars must be PNG, JPEG, GIF or WebP images",
        ));
    }
    uploads::check_image(&image).await?;
    let blob = BlobId::generate();
    uploads::put_spooled(state, &blob, &image).await?;
    let avatar = Avatar {
        subject: subject_of_user(target),
        blob_id: blob.as_str().to_owned(),
        content_type: detected.to_owned(),
        etag: BlobId::generate().as_str().to_owned(),
        updated_at: now_ms(),
    };
    let replaced = match state.store.put_avatar(&avatar, Some(&target.id)).await {
        Ok(replaced) => replaced,
        Err(e) => {
            let _ = state.files.blobs.delete(&blob).await;
            return Err(e.into());
        }
    };
    delete_blob(state, replaced).await;
    announce(state, target, Some(&avatar.etag));
    Ok(())
}

/// `users.setAvatar` with `avatarUrl`: the image is fetched through the outbound guard.
pub async fn set_from_url(state: &AppState, caller: &User, target: &User, url: &str) -> Result<()> {
    check_may_change(state, caller, target).await?;
    let bytes = outbound::fetch(url, MAX_AVATAR_BYTES, state.config.outbound_allow_private).await?;
    let chunk: std::result::Result<bytes::Bytes, std::io::Error> = Ok(bytes);
    let image = uploads::spool(state, "avatar", futures_util::stream::iter([chunk])).await?;
    set(state, caller, target, image).await
}

/// `users.resetAvatar`: back to initials.
pub async fn reset(state: &AppState, caller: &User, target: &User) -> Result<()> {
    check_may_change(state, caller, target).await?;
    let old = state
        .store
        .delete_avatar(&subject_of_user(target), Some(&target.id), now_ms())
        .await?;
    delete_blob(state, old).await;
    announce(state, target, None);
    Ok(())
}

async fn delete_blob(state: &AppState, blob: Option<String>) {
    if let Some(blob) = blob
        && let Ok(id) = BlobId::parse(&blob)
        && let Err(e) = state.files.blobs.delete(&id).await
    {
        tracing::warn!(error = %e, "could not delete a replaced avatar");
    }
}

/// Whether `viewer` may see avatars (`Accounts_AvatarBlockUnauthenticatedAccess`).
pub fn may_view(state: &AppState, viewer: Option<&User>) -> bool {
    viewer.is_some()
        || !state
            .settings
            .bool("Accounts_AvatarBlockUnauthenticatedAccess")
}

/// Whether a room's avatar may be shown to `viewer`: public channels to anyone allowed to
/// see avatars, other rooms to those who can read them.
pub async fn may_view_room(state: &AppState, viewer: Option<&User>, rid: &str) -> Result<bool> {
    let Some(room) = state.store.room_by_id(rid).await? else {
        return Ok(true);
    };
    if room.t == RoomType::Channel {
        return Ok(true);
    }
    match viewer {
        Some(user) => rooms::can_read(state, &room, user).await,
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_are_escaped_and_stable() {
        let Picture::Generated { svg, etag } = initials_svg("<script>") else {
            panic!("generated");
        };
        assert!(svg.contains(">S</text>"), "{svg}");
        assert!(!svg.contains("<script"));
        let Picture::Generated { etag: again, .. } = initials_svg("<script>") else {
            panic!("generated");
        };
        assert_eq!(etag, again);
        let Picture::Generated { svg, .. } = initials_svg("émile") else {
            panic!("generated");
        };
        assert!(svg.contains(">É</text>"));
        let Picture::Generated { svg, .. } = initials_svg("---") else {
            panic!("generated");
        };
        assert!(svg.contains(">?</text>"));
    }
}
