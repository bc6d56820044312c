//! Custom emoji (`emoji-custom.*`, `/emoji-custom/<name>.<ext>`): admins with `manage-emoji`
//! add images under a name and aliases; every client is told on `stream-notify-logged`, and
//! reactions accept them next to the standard set. Images are checked on their magic bytes.

use ferrochat_model::time::now_ms;
use ferrochat_model::{DateStyle, User, ids};
use ferrochat_store::StoreError;
use ferrochat_store::custom_emoji::CustomEmoji;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::services::events;
use crate::state::AppState;

/// The largest image accepted; emoji are drawn at a few dozen pixels.
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// Image types accepted, by what their bytes say they are: (media type, extension).
const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/jpeg", "jpg"),
    ("image/webp", "webp"),
];

pub fn to_wire(emoji: &CustomEmoji, style: DateStyle) -> Value {
    json!({
        "_id": emoji.id,
        "name": emoji.name,
        "aliases": emoji.aliases,
        "extension": emoji.extension,
        "etag": emoji.etag,
        "_updatedAt": style.date(emoji.updated_at),
    })
}

fn not_allowed() -> Error {
    Error::failure("not_authorized", "Not authorized")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | ';' | '.'))
        && !name.starts_with('.')
}

/// `name` and the comma-separated `aliases`, checked.
fn names(name: &str, aliases: &str) -> Result<(String, Vec<String>)> {
    let name = name.trim().trim_matches(':').to_owned();
    if !valid_name(&name) {
        return Err(Error::failure(
            "error-input-is-not-a-valid-field",
            format!("{name} is not a valid name"),
        ));
    }
    let mut list: Vec<String> = Vec::new();
    for alias in aliases.split(',').map(|a| a.trim().trim_matches(':')) {
        if alias.is_empty() || alias == name || list.iter().any(|a| a == alias) {
            continue;
        }
        if !valid_name(alias) {
            return Err(Error::failure(
                "error-input-is-not-a-valid-field",
                format!("{alias} is not a valid alias"),
            ));
        }
        list.push(alias.to_owned());
    }
    Ok((name, list))
}

/// The media type and extension of an accepted image.
fn image_kind(image: &[u8]) -> Result<(&'static str, &'static str)> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(Error::failure(
            "error-file-too-large",
            format!("Emoji images may be at most {MAX_IMAGE_BYTES} bytes"),
        ));
    }
    let detected = infer::get(image).map(|kind| kind.mime_type());
    IMAGE_TYPES
        .iter()
        .find(|(mime, _)| Some(*mime) == detected)
        .copied()
        .ok_or_else(|| {
            Error::failure(
                "error-invalid-file-type",
                "Emoji images must be PNG, GIF, JPEG or WebP",
            )
        })
}

/// No other emoji may use the name or an alias.
async fn check_free(
    state: &AppState,
    own_id: Option<&str>,
    name: &str,
    aliases: &[String],
) -> Result<()> {
    let wanted: Vec<&str> = std::iter::once(name)
        .chain(aliases.iter().map(String::as_str))
        .collect();
    for other in state.store.custom_emojis().await? {
        if Some(other.id.as_str()) == own_id {
            continue;
        }
        let taken = std::iter::once(other.name.as_str())
            .chain(other.aliases.iter().map(String::as_str))
            .any(|n| wanted.contains(&n));
        if taken {
            return Err(Error::failure(
                "Custom_Emoji_Error_Name_Or_Alias_Already_In_Use",
                "The custom emoji or one of its aliases is already in use",
            ));
        }
    }
    Ok(())
}

async fn require_manage(state: &AppState, caller: &User) -> Result<()> {
    if state
        .authz
        .has(&state.store, caller, "manage-emoji", None)
        .await?
    {
        Ok(())
    } else {
        Err(not_allowed())
    }
}

fn announce(state: &AppState, event: &str, emoji: &CustomEmoji) {
    events::notify_logged(
        state,
        event,
        json!([{"emojiData": to_wire(emoji, DateStyle::EJson)}]),
    );
}

/// Adds an emoji.
pub async fn create(
    state: &AppState,
    caller: &User,
    name: &str,
    aliases: &str,
    image: &[u8],
) -> Result<CustomEmoji> {
    require_manage(state, caller).await?;
    let (name, aliases) = names(name, aliases)?;
    let (content_type, extension) = image_kind(image)?;
    check_free(state, None, &name, &aliases).await?;
    let emoji = CustomEmoji {
        id: ids::random_id(),
        name,
        aliases,
        extension: extension.to_owned(),
        content_type: content_type.to_owned(),
        etag: ids::random_id(),
        updated_at: now_ms(),
    };
    save(state, &emoji, Some(image)).await?;
    announce(state, "updateEmojiCustom", &emoji);
    Ok(emoji)
}

/// Renames an emoji, changes its aliases, and replaces its image when one is given.
pub async fn update(
    state: &AppState,
    caller: &User,
    id: &str,
    name: &str,
    aliases: &str,
    image: Option<&[u8]>,
) -> Result<CustomEmoji> {
    require_manage(state, caller).await?;
    let Some(mut emoji) = state.store.custom_emoji(id).await? else {
        return Err(Error::failure(
            "Custom_Emoji_Error_Invalid_Emoji",
            "Invalid emoji",
        ));
    };
    let (name, aliases) = names(name, aliases)?;
    check_free(state, Some(id), &name, &aliases).await?;
    if let Some(image) = image {
        let (content_type, extension) = image_kind(image)?;
        emoji.content_type = content_type.to_owned();
        emoji.extension = extension.to_owned();
        emoji.etag = ids::random_id();
    }
    emoji.name = name;
    emoji.aliases = aliases;
    emoji.updated_at = now_ms();
    save(state, &emoji, image).await?;
    announce(state, "updateEmojiCustom", &emoji);
    Ok(emoji)
}

async fn save(state: &AppState, emoji: &CustomEmoji, image: Option<&[u8]>) -> Result<()> {
    match state.store.put_custom_emoji(emoji, image).await {
        Err(StoreError::Duplicate(_)) => Err(Error::failure(
            "Custom_Emoji_Error_Name_Or_Alias_Already_In_Use",
            "The custom emoji or one of its aliases is already in use",
        )),
        other => Ok(other?),
    }
}

pub async fn delete(state: &AppState, caller: &User, id: &str) -> Result<()> {
    require_manage(state, caller).await?;
    let Some(emoji) = state.store.delete_custom_emoji(id, now_ms()).await? else {
        return Err(Error::failure(
            "Custom_Emoji_Error_Invalid_Emoji",
            "Invalid emoji",
        ));
    };
    announce(state, "deleteEmojiCustom", &emoji);
    Ok(())
}

/// Whether `name` (without colons) is a custom emoji's name or alias.
pub async fn exists(state: &AppState, name: &str) -> Result<bool> {
    Ok(state
        .store
        .custom_emojis()
        .await?
        .iter()
        .any(|e| e.name == name || e.aliases.iter().any(|a| a == name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_checked() {
        assert_eq!(
            names(":party_parrot:", "parrot, pp ,parrot,").unwrap(),
            (
                "party_parrot".to_owned(),
                vec!["parrot".to_owned(), "pp".to_owned()]
            )
        );
        assert!(names("no spaces", "").is_err());
        assert!(names("../etc", "").is_err());
        assert!(names("ok", "bad/alias").is_err());
        assert!(names("", "").is_err());
    }

    #[test]
    fn only_images_pass() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(image_kind(&png).unwrap(), ("image/png", "png"));
        assert!(image_kind(b"<svg onload=alert(1)>").is_err());
        assert!(image_kind(b"GIF89a").is_ok());
        assert!(image_kind(&vec![0u8; MAX_IMAGE_BYTES + 1]).is_err());
    }
}
