//! Emoji recognition: `:short_code:`, the grammar's Unicode emoji ranges (as UTF-16
//! surrogate pairs) and the optional text emoticons.
//!
//! The reference accepts any `:name:` as a short code, so no table of short-code names is
//! involved; the Unicode side is a handful of fixed code-unit ranges.

use crate::input::{Chain, Input, Run};

fn within(c: u32, lo: u32, hi: u32) -> bool {
    (lo..=hi).contains(&c)
}

/// `[\uFE00-\uFE0F]?` after `end`.
fn variation(input: &Input, end: usize) -> usize {
    if within(input.at(end), 0xFE00, 0xFE0F) {
        end + 1
    } else {
        end
    }
}

/// `UnicodeEmojiMiscellaneousSymbolsAndPictographs`: U+1F300–U+1F5FF with an optional
/// variation selector. Returns the end.
pub(crate) fn pictograph(input: &Input, i: usize) -> Option<usize> {
    let (hi, lo) = (input.at(i), input.at(i + 1));
    let ok = (hi == 0xD83C && within(lo, 0xDF00, 0xDFFF))
        || (hi == 0xD83D && within(lo, 0xDC00, 0xDDFF));
    ok.then(|| variation(input, i + 2))
}

/// `UnicodeEmojiMiscellaneousSymbolsAndPictographsFitzpatrickModifiers`.
pub(crate) fn fitzpatrick(input: &Input, i: usize) -> Option<usize> {
    (input.at(i) == 0xD83C && within(input.at(i + 1), 0xDFFB, 0xDFFF)).then_some(i + 2)
}

fn pair(input: &Input, i: usize, hi: u32, lo_min: u32, lo_max: u32) -> Option<usize> {
    (input.at(i) == hi && within(input.at(i + 1), lo_min, lo_max)).then_some(i + 2)
}

/// `UnicodeEmoji`: end of the emoji starting at `i`.
pub(crate) fn unicode_emoji(input: &mut Input, i: usize) -> Option<usize> {
    // UnicodeEmojiEmoticon
    if let Some(end) = pair(input, i, 0xD83D, 0xDE00, 0xDE4F) {
        return Some(end);
    }
    // Supplemental symbols, optionally followed by pictographs joined with ZWJ.
    if let Some(end) = pair(input, i, 0xD83E, 0xDD00, 0xDDFF) {
        return Some(match pictograph(input, end) {
            Some(after) => input.chain_end(Chain::EmojiZwjTail, after),
            None => end,
        });
    }
    // (Pictograph Fitzpatrick? ZWJ)* Pictograph Fitzpatrick? — the loop never gives an
    // iteration back, so a trailing ZWJ with no pictograph after it fails the whole rule.
    let looped = input.chain_end(Chain::EmojiZwjLoop, i);
    if let Some(end) = pictograph(input, looped) {
        return Some(fitzpatrick(input, end).unwrap_or(end));
    }
    if let Some(end) = pair(input, i, 0xD83D, 0xDE80, 0xDEFA) {
        return Some(end);
    }
    let c = input.at(i);
    if within(c, 0x2300, 0x23FF) || within(c, 0x2600, 0x26FF) || within(c, 0x2700, 0x27BF) {
        return Some(variation(input, i + 1));
    }
    let flag = pair(input, i, 0xD83C, 0xDD00, 0xDDFF)?;
    pair(input, flag, 0xD83C, 0xDD00, 0xDDFF)
}

/// `EmojiShortCode`: `:name:`; returns the end of the name (the closing colon's index).
pub(crate) fn short_code(input: &mut Input, i: usize) -> Option<usize> {
    if !input.is(i, b':') {
        return None;
    }
    let end = input.run_end(Run::ShortCode, i + 1);
    (end > i + 1 && input.is(end, b':')).then_some(end)
}

/// What `Emoji` matched.
pub(crate) enum EmojiMatch {
    /// `:name:`; the name spans `[start + 1, end - 1)`.
    ShortCode,
    Unicode,
}

/// `Emoji = EmojiShortCode / UnicodeEmoji`: end and kind.
pub(crate) fn emoji(input: &mut Input, i: usize) -> Option<(usize, EmojiMatch)> {
    if let Some(close) = short_code(input, i) {
        return Some((close + 1, EmojiMatch::ShortCode));
    }
    unicode_emoji(input, i).map(|end| (end, EmojiMatch::Unicode))
}

/// The emoticon alternatives in the grammar's order (the first that matches wins).
const EMOTICONS: &[(&str, &str)] = &[
    ("<3", "heart"),
    ("</3", "broken_heart"),
    (":D", "smiley"),
    (":-D", "smiley"),
    ("=D", "smiley"),
    (">:)", "laughing"),
    (">;)", "laughing"),
    (">:-)", "laughing"),
    (">=)", "laughing"),
    ("':)", "sweat_smile"),
    ("':-)", "sweat_smile"),
    ("'=)", "sweat_smile"),
    ("':D", "sweat_smile"),
    ("':-D", "sweat_smile"),
    ("'=D", "sweat_smile"),
    (":')", "joy"),
    (":'-)", "joy"),
    ("O:-)", "innocent"),
    ("0:-3", "innocent"),
    ("0:3", "innocent"),
    ("0:-)", "innocent"),
    ("0:)", "innocent"),
    ("0;^)", "innocent"),
    ("O:)", "innocent"),
    ("O;-)", "innocent"),
    ("O=)", "innocent"),
    ("0;-)", "innocent"),
    ("O:-3", "innocent"),
    ("O:3", "innocent"),
    (":)", "slight_smile"),
    (":-)", "slight_smile"),
    ("=]", "slight_smile"),
    ("=)", "slight_smile"),
    (":]", "slight_smile"),
    (";)", "wink"),
    (";-)", "wink"),
    ("*-)", "wink"),
    ("*)", "wink"),
    (";-]", "wink"),
    (";]", "wink"),
    (";D", "wink"),
    (";^)", "wink"),
    (":*", "kissing_heart"),
    (":-*", "kissing_heart"),
    ("=*", "kissing_heart"),
    (":^*", "kissing_heart"),
    (":P", "stuck_out_tongue"),
    (":-P", "stuck_out_tongue"),
    ("=P", "stuck_out_tongue"),
    (":-\u{DE}", "stuck_out_tongue"),
    (":\u{DE}", "stuck_out_tongue"),
    (":-b", "stuck_out_tongue"),
    (":b", "stuck_out_tongue"),
    (">:P", "stuck_out_tongue_winking_eye"),
    ("X-P", "stuck_out_tongue_winking_eye"),
    ("B-)", "sunglasses"),
    ("B)", "sunglasses"),
    ("8)", "sunglasses"),
    ("8-)", "sunglasses"),
    ("B-D", "sunglasses"),
    ("8-D", "sunglasses"),
    (">:[", "disappointed"),
    (":-(", "disappointed"),
    (":(", "disappointed"),
    (":-[", "disappointed"),
    (":[", "disappointed"),
    ("=(", "disappointed"),
    (">:\\", "confused"),
    (">:/", "confused"),
    (":-/", "confused"),
    (":-.", "confused"),
    (":/", "confused"),
    (":\\", "confused"),
    ("=/", "confused"),
    ("=\\", "confused"),
    (":L", "confused"),
    ("=L", "confused"),
    (">.<", "persevere"),
    (":'(", "cry"),
    (":'-(", "cry"),
    (";(", "cry"),
    (";-(", "cry"),
    (">:(", "angry"),
    (">:-(", "angry"),
    (":@", "angry"),
    (":$", "flushed"),
    ("=$", "flushed"),
    ("D:", "fearful"),
    ("':(", "sweat"),
    ("':-(", "sweat"),
    ("'=(", "sweat"),
    (":-X", "no_mouth"),
    (":X", "no_mouth"),
    (":-#", "no_mouth"),
    (":#", "no_mouth"),
    ("=X", "no_mouth"),
    ("=#", "no_mouth"),
    ("-_-", "expressionless"),
    ("-__-", "expressionless"),
    ("-___-", "expressionless"),
    (":-O", "open_mouth"),
    (":O", "open_mouth"),
    ("O_O", "open_mouth"),
    (">:O", "open_mouth"),
    ("#-)", "dizzy_face"),
    ("#)", "dizzy_face"),
    ("%-)", "dizzy_face"),
    ("%)", "dizzy_face"),
    ("X)", "dizzy_face"),
    ("X-)", "dizzy_face"),
    ("(y)", "thumbsup"),
    ("*\\0/*", "person_gesturing_ok"),
    ("\\0/", "person_gesturing_ok"),
    ("*\\O/*", "person_gesturing_ok"),
    ("\\O/", "person_gesturing_ok"),
];

/// [`EMOTICONS`] grouped by first character. Only patterns with the same first character
/// can match at the same position, so a stable sort keeps the grammar's precedence.
fn emoticons_by_first_char() -> &'static [(&'static str, &'static str)] {
    static SORTED: std::sync::OnceLock<Vec<(&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut sorted = EMOTICONS.to_vec();
        sorted.sort_by_key(|(pattern, _)| pattern.as_bytes().first().copied());
        sorted
    })
}

/// `EmoticonPattern` at `i` (the caller checks the `emoticons` option): end and short code.
pub(crate) fn emoticon(input: &mut Input, i: usize) -> Option<(usize, &'static str)> {
    let first = input.at(i);
    let Ok(first) = u8::try_from(first) else {
        return None;
    };
    let sorted = emoticons_by_first_char();
    let from = sorted.partition_point(|(p, _)| p.as_bytes().first().copied() < Some(first));
    let to = sorted.partition_point(|(p, _)| p.as_bytes().first().copied() <= Some(first));
    input.steps += 1;
    // All patterns are Latin-1: one code unit per char.
    sorted.get(from..to)?.iter().find_map(|&(pattern, name)| {
        let mut len = 0;
        for (k, c) in pattern.chars().enumerate() {
            if input.at(i + k) != u32::from(c) {
                return None;
            }
            len = k + 1;
        }
        Some((i + len, name))
    })
}
