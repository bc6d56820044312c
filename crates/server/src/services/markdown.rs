//! The `md` AST and `urls` of a message, as Rocket.Chat's `beforeSaveMessage` and
//! `parseUrlsInMessage` add them: the parser options come from the settings
//! (`HexColorPreview_Enabled`, `Katex_*`, `Message_CustomDomain_AutoLink`).
//!
//! `urls` are the http(s) links the parser recognised, where Rocket.Chat runs a separate URL
//! regex over the text: the two agree except on hosts outside the public suffix list (and
//! `Message_CustomDomain_AutoLink`), which the parser does not link and so are not listed.

use ferrochat_message_parser::{KatexOptions, Options};
use serde_json::{Map, Value, json};

use crate::state::AppState;

pub fn options(state: &AppState) -> Options {
    let settings = &state.settings;
    Options {
        colors: settings.bool("HexColorPreview_Enabled"),
        emoticons: true,
        katex: settings.bool("Katex_Enabled").then(|| KatexOptions {
            dollar_syntax: settings.bool("Katex_Dollar_Syntax"),
            parenthesis_syntax: settings.bool("Katex_Parenthesis_Syntax"),
        }),
        custom_domains: settings
            .string("Message_CustomDomain_AutoLink")
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// The http(s) links of an `md` AST, each once, in order.
pub fn urls(md: &Value) -> Vec<String> {
    let mut found = Vec::new();
    // An explicit stack: the AST's depth is bounded by the parser, but walking it needs no
    // recursion at all.
    let mut pending = vec![md];
    while let Some(node) = pending.pop() {
        match node {
            Value::Array(items) => pending.extend(items.iter().rev()),
            Value::Object(fields) => {
                if fields.get("type").and_then(Value::as_str) == Some("LINK")
                    && let Some(src) = fields
                        .get("value")
                        .and_then(|v| v.get("src"))
                        .and_then(|s| s.get("value"))
                        .and_then(Value::as_str)
                {
                    let lower = src.to_ascii_lowercase();
                    if (lower.starts_with("http://") || lower.starts_with("https://"))
                        && !found.iter().any(|u| u == src)
                    {
                        found.push(src.to_owned());
                    }
                }
                if let Some(value) = fields.get("value") {
                    pending.push(value);
                }
            }
            _ => {}
        }
    }
    found
}

/// Sets `md` (and `urls`, unless the message opts out with `parseUrls: false`) for `text`.
pub fn annotate(state: &AppState, text: &str, extra: &mut Map<String, Value>) {
    if text.trim().is_empty() {
        extra.remove("md");
        extra.remove("urls");
        return;
    }
    let md = ferrochat_message_parser::parse(text.trim(), &options(state));
    let links = urls(&md);
    extra.insert("md".into(), md);
    if extra.get("parseUrls") == Some(&Value::Bool(false)) {
        return;
    }
    if links.is_empty() {
        extra.remove("urls");
    } else {
        extra.insert(
            "urls".into(),
            links.into_iter().map(|url| json!({"url": url})).collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_collected_once() {
        let md = ferrochat_message_parser::parse(
            "see https://example.com and [docs](https://docs.example.com/a?b=c) and https://example.com again, not ftp://x.y",
            &Options::default(),
        );
        assert_eq!(
            urls(&md),
            ["https://example.com", "https://docs.example.com/a?b=c"]
        );
    }
}
