//! What a file is, judged from its content, and what may be done with it.
//!
//! The client's declared type and the file name are never trusted: the type is sniffed from
//! the first bytes ([`sniff`]), checked against Rocket.Chat's media-type settings
//! ([`is_allowed`]), and anything a browser could execute is served as an attachment under a
//! sandboxing CSP ([`needs_sandbox`]).

/// How many leading bytes [`sniff`] looks at; callers pass at least this many when the file
/// has them.
pub const SNIFF_LEN: usize = 8192;

/// The media type of a file from its first bytes, or `None` when unknown.
///
/// Binary formats come from the `infer` crate's magic numbers. Markup is checked here first:
/// `infer` knows no SVG, and an SVG (or HTML) that begins with an XML prolog must not pass
/// as harmless XML. Leading whitespace and a UTF-8 byte-order mark are skipped, as browsers
/// do.
pub fn sniff(first_bytes: &[u8]) -> Option<&'static str> {
    let head = &first_bytes[..first_bytes.len().min(SNIFF_LEN)];
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = trim_start(text);
    if text.first() == Some(&b'<') {
        return Some(markup(text));
    }
    infer::get(head).map(|t| t.mime_type())
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

/// Tells SVG, HTML and other XML apart in text that starts with `<`.
fn markup(text: &[u8]) -> &'static str {
    let lower = String::from_utf8_lossy(text).to_ascii_lowercase();
    if lower.contains("<svg") {
        return "image/svg+xml";
    }
    const HTML_MARKERS: [&str; 9] = [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<script",
        "<iframe",
        "<meta",
        "<style",
        "<a ",
    ];
    if HTML_MARKERS.iter().any(|m| lower.contains(m)) {
        return "text/html";
    }
    if lower.contains("http://www.w3.org/1999/xhtml") {
        return "application/xhtml+xml";
    }
    if lower.starts_with("<?xml") {
        return "application/xml";
    }
    // Some other markup-looking text: treat it as HTML, the most dangerous reading a
    // browser could choose, so that it is sandboxed.
    "text/html"
}

/// Rocket.Chat's `FileUpload_MediaTypeWhiteList` / `FileUpload_MediaTypeBlackList` check for a
/// detected type. Both settings are comma-separated lists of types or `type/*` wildcards;
/// an empty whitelist or `*` allows everything; the blacklist wins over the whitelist; a
/// file whose type is unknown is refused whenever a blacklist is set (Rocket.Chat's rule:
/// an unknown type could be anything on it) and whenever a whitelist restricts types.
/// Media types compare case-insensitively (RFC 6838).
pub fn is_allowed(detected: Option<&str>, whitelist: &str, blacklist: &str) -> bool {
    let black = entries(blacklist);
    let white = entries(whitelist);
    let restricted = !(white.is_empty() || white.iter().any(|e| e == "*"));
    let Some(detected) = detected else {
        return black.is_empty() && !restricted;
    };
    let detected = detected.trim().to_ascii_lowercase();
    if on_list(&detected, &black) {
        return false;
    }
    !restricted || on_list(&detected, &white)
}

fn entries(list: &str) -> Vec<String> {
    list.split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

fn on_list(detected: &str, list: &[String]) -> bool {
    let major = detected.split('/').next().unwrap_or(detected);
    list.iter().any(|entry| {
        entry == detected
            || entry
                .strip_suffix("/*")
                .is_some_and(|wildcard_major| wildcard_major == major)
    })
}

/// Whether a file of this type must be served as an attachment with a sandboxing CSP
/// (`Content-Security-Policy: sandbox; default-src 'none'`) instead of inline.
///
/// This is an allowlist of what browsers only ever display (raster images, audio, video,
/// plain text with `nosniff`): everything else needs the sandbox, because the list of
/// script-capable types (HTML, SVG, XML with XSLT, PDF, Flash, anything +xml...) is open
/// ended and a missed entry would be stored XSS.
pub fn needs_sandbox(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    const INLINE: [&str; 9] = [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "text/plain",
    ];
    let media = essence.starts_with("audio/") || essence.starts_with("video/");
    !(media || INLINE.contains(&essence.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn sniffs_binary_formats_by_magic() {
        assert_eq!(sniff(PNG), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(
            sniff(b"PK\x03\x04\x14\0\0\0\x08\0"),
            Some("application/zip")
        );
        assert_eq!(sniff(b"just some words"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn sniffs_markup() {
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some("image/svg+xml")
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<SVG onload=alert(1)>"),
            Some("image/svg+xml")
        );
        assert_eq!(sniff(b"<!DOCTYPE html><p>x"), Some("text/html"));
        assert_eq!(sniff(b"\n<script>alert(1)</script>"), Some("text/html"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><note/>"),
            Some("application/xml")
        );
        assert_eq!(sniff(b"<b>hi</b>"), Some("text/html"));
        // A PNG's bytes are not markup even though they contain '<' later.
        let mut png = PNG.to_vec();
        png.extend_from_slice(b"<svg>");
        assert_eq!(sniff(&png), Some("image/png"));
    }

    #[test]
    fn lists_follow_rocket_chat() {
        // Nothing set: everything passes, unknown too.
        assert!(is_allowed(Some("image/png"), "", ""));
        assert!(is_allowed(None, "", ""));
        assert!(is_allowed(None, "*", ""));
        // Whitelist with wildcards.
        assert!(is_allowed(
            Some("image/png"),
            "image/*, application/pdf",
            ""
        ));
        assert!(is_allowed(
            Some("application/pdf"),
            "image/*,application/pdf",
            ""
        ));
        assert!(!is_allowed(
            Some("text/html"),
            "image/*,application/pdf",
            ""
        ));
        assert!(!is_allowed(None, "image/*", ""));
        // Blacklist wins.
        assert!(!is_allowed(
            Some("image/svg+xml"),
            "image/*",
            "image/svg+xml"
        ));
        assert!(!is_allowed(Some("image/png"), "", "image/*"));
        assert!(is_allowed(Some("application/pdf"), "", "image/*"));
        // Unknown content with a blacklist (Rocket.Chat's default blacklists SVG).
        assert!(!is_allowed(None, "", "image/svg+xml"));
        // Case and spacing do not matter; a wildcard matches only its major type.
        assert!(!is_allowed(Some("IMAGE/SVG+XML"), "", " image/svg+xml "));
        assert!(!is_allowed(Some("imagex/png"), "image/*", ""));
    }

    #[test]
    fn sandboxes_everything_scriptable() {
        for t in [
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/xml",
            "application/xhtml+xml",
            "application/pdf",
            "application/javascript",
            "application/octet-stream",
            "text/html; charset=utf-8",
        ] {
            assert!(needs_sandbox(t), "{t}");
        }
        for t in [
            "image/png",
            "image/JPEG",
            "video/mp4",
            "audio/ogg",
            "text/plain; charset=utf-8",
        ] {
            assert!(!needs_sandbox(t), "{t}");
        }
    }
}
