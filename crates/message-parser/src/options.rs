//! Parser options, mirroring the `Options` object of the npm package.

use serde::{Deserialize, Serialize};

/// Options of [`crate::parse`], field for field the options object that Rocket.Chat passes
/// to `parse(input, options)` of `@rocket.chat/message-parser`. Serializes to (and
/// deserializes from) that object's camelCase JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Options {
    /// `color:#rrggbb` and friends become `COLOR` nodes.
    pub colors: bool,
    /// Text emoticons such as `:)` become `EMOJI` nodes.
    pub emoticons: bool,
    /// KaTeX delimiters to recognise; `None` disables KaTeX entirely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub katex: Option<KatexOptions>,
    /// Extra host names (besides `localhost`) whose auto-links are accepted even though
    /// they are not under a public suffix, e.g. `intranet`.
    pub custom_domains: Vec<String>,
}

/// Which KaTeX delimiters are enabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KatexOptions {
    /// `$$…$$` blocks and `$…$` inline formulas.
    pub dollar_syntax: bool,
    /// `\[…\]` blocks and `\(…\)` inline formulas.
    pub parenthesis_syntax: bool,
}

impl Options {
    pub(crate) fn katex_dollar(&self) -> bool {
        self.katex.is_some_and(|k| k.dollar_syntax)
    }

    pub(crate) fn katex_parenthesis(&self) -> bool {
        self.katex.is_some_and(|k| k.parenthesis_syntax)
    }
}
