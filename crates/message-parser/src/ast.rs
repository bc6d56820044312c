//! AST building: the node types, the reference's `reducePlainTexts` (merging adjacent
//! text and turning short-code emoji that touch text back into text) and the conversion
//! to the JSON the npm package produces, key order and optional keys included.

use serde_json::{Map, Value, json};

/// Text as UTF-16 code units, like the reference's strings: a rule may end between the
/// halves of a surrogate pair, and merging adjacent texts must put the pair back together.
pub(crate) type Text = Vec<u16>;

/// An inline node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inline {
    Plain(Text),
    Bold(Vec<Inline>),
    Italic(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(Text),
    Link {
        src: Text,
        label: Vec<Inline>,
    },
    Image {
        src: Text,
        label: Text,
    },
    MentionUser(Text),
    MentionChannel(Text),
    /// A short-code emoji (`text` is the code) or an emoticon (`text` is the emoticon).
    Emoji {
        text: Text,
        short_code: Text,
    },
    EmojiUnicode(Text),
    Color([u8; 4]),
    Katex(Text),
    Timestamp {
        timestamp: Text,
        format: char,
    },
}

/// What an inline rule produces: one node, or (for `_x_y`-style italics that the
/// reference gives up on) a run of nodes that the enclosing list flattens.
pub(crate) enum Item {
    One(Inline),
    Many(Vec<Inline>),
}

impl From<Inline> for Item {
    fn from(node: Inline) -> Self {
        Item::One(node)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Paragraph(Vec<Inline>),
    Heading {
        level: u8,
        text: Text,
    },
    Code {
        language: Option<Text>,
        lines: Vec<Text>,
    },
    Quote(Vec<Vec<Inline>>),
    Tasks(Vec<(bool, Vec<Inline>)>),
    /// Items and the digits of their numbers.
    OrderedList(Vec<(Vec<Inline>, Text)>),
    UnorderedList(Vec<Vec<Inline>>),
    LineBreak,
    Katex(Text),
    BigEmoji(Vec<Inline>),
}

/// JavaScript's `String.prototype.trim` whitespace (all of it is in the BMP).
fn is_js_space(c: u16) -> bool {
    matches!(
        c,
        0x9..=0xD | 0x20 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000 | 0xFEFF
    )
}

/// What `joinEmoji` looks at in a neighbour.
#[derive(Clone, Copy)]
enum Neighbour {
    Emoji,
    Text,
    Other,
}

fn neighbour(node: &Inline) -> Neighbour {
    match node {
        Inline::Emoji { .. } | Inline::EmojiUnicode(_) => Neighbour::Emoji,
        Inline::Plain(t) if t.iter().any(|&c| !is_js_space(c)) => Neighbour::Text,
        _ => Neighbour::Other,
    }
}

/// `reducePlainTexts(values)`: flattens one level, replaces a short-code emoji or emoticon
/// that has an emoji or non-blank text neighbour (in the flattened input) by its text,
/// and merges adjacent plain texts.
pub(crate) fn reduce(items: Vec<Item>) -> Vec<Inline> {
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Item::One(node) => flat.push(node),
            Item::Many(nodes) => flat.extend(nodes),
        }
    }
    let kinds: Vec<Neighbour> = flat.iter().map(neighbour).collect();
    let mut out: Vec<Inline> = Vec::with_capacity(flat.len());
    for (i, node) in flat.into_iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|k| kinds.get(k)).copied();
        let next = kinds.get(i + 1).copied();
        let node = join_emoji(node, prev, next);
        if let (Inline::Plain(text), Some(Inline::Plain(last))) = (&node, out.last_mut()) {
            last.extend_from_slice(text);
            continue;
        }
        out.push(node);
    }
    out
}

fn join_emoji(node: Inline, prev: Option<Neighbour>, next: Option<Neighbour>) -> Inline {
    let Inline::Emoji { text, short_code } = node else {
        return node;
    };
    if prev.is_none() && next.is_none() {
        return Inline::Emoji { text, short_code };
    }
    let is = |n: Option<Neighbour>, k: fn(Neighbour) -> bool| n.is_some_and(k);
    let emoji_near =
        is(prev, |n| matches!(n, Neighbour::Emoji)) || is(next, |n| matches!(n, Neighbour::Emoji));
    let text_near =
        is(prev, |n| matches!(n, Neighbour::Text)) || is(next, |n| matches!(n, Neighbour::Text));
    if !(emoji_near || text_near) {
        return Inline::Emoji { text, short_code };
    }
    if short_code != text {
        // An emoticon: its own text.
        Inline::Plain(text)
    } else {
        let mut wrapped = Vec::with_capacity(text.len() + 2);
        wrapped.push(u16::from(b':'));
        wrapped.extend_from_slice(&text);
        wrapped.push(u16::from(b':'));
        Inline::Plain(wrapped)
    }
}

fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

fn string(text: &[u16]) -> Value {
    Value::String(String::from_utf16_lossy(text))
}

fn plain(text: &[u16]) -> Value {
    object(vec![("type", json!("PLAIN_TEXT")), ("value", string(text))])
}

fn typed(kind: &str, value: Value) -> Value {
    object(vec![("type", json!(kind)), ("value", value)])
}

fn inlines(nodes: &[Inline]) -> Value {
    Value::Array(nodes.iter().map(inline_json).collect())
}

pub(crate) fn inline_json(node: &Inline) -> Value {
    match node {
        Inline::Plain(t) => plain(t),
        Inline::Bold(v) => typed("BOLD", inlines(v)),
        Inline::Italic(v) => typed("ITALIC", inlines(v)),
        Inline::Strike(v) => typed("STRIKE", inlines(v)),
        Inline::Code(t) => typed("INLINE_CODE", plain(t)),
        Inline::Link { src, label } => typed(
            "LINK",
            object(vec![("src", plain(src)), ("label", inlines(label))]),
        ),
        Inline::Image { src, label } => typed(
            "IMAGE",
            object(vec![("src", plain(src)), ("label", plain(label))]),
        ),
        Inline::MentionUser(t) => typed("MENTION_USER", plain(t)),
        Inline::MentionChannel(t) => typed("MENTION_CHANNEL", plain(t)),
        Inline::Emoji { text, short_code } => object(vec![
            ("type", json!("EMOJI")),
            ("value", plain(text)),
            ("shortCode", string(short_code)),
        ]),
        // `value: undefined` disappears in JSON.
        Inline::EmojiUnicode(u) => object(vec![("type", json!("EMOJI")), ("unicode", string(u))]),
        Inline::Color([r, g, b, a]) => typed(
            "COLOR",
            object(vec![
                ("r", json!(r)),
                ("g", json!(g)),
                ("b", json!(b)),
                ("a", json!(a)),
            ]),
        ),
        Inline::Katex(t) => typed("INLINE_KATEX", string(t)),
        Inline::Timestamp { timestamp, format } => {
            let digits = String::from_utf16_lossy(timestamp);
            let fallback: Text = format!("<t:{digits}:{format}>").encode_utf16().collect();
            object(vec![
                ("type", json!("TIMESTAMP")),
                (
                    "value",
                    object(vec![
                        ("timestamp", json!(digits)),
                        ("format", json!(format.to_string())),
                    ]),
                ),
                ("fallback", plain(&fallback)),
            ])
        }
    }
}

fn list_item(value: &[Inline], number: Option<Value>) -> Value {
    let mut pairs = vec![("type", json!("LIST_ITEM")), ("value", inlines(value))];
    if let Some(n) = number {
        pairs.push(("number", n));
    }
    object(pairs)
}

pub(crate) fn block_json(block: &Block) -> Value {
    match block {
        Block::Paragraph(v) => typed("PARAGRAPH", inlines(v)),
        Block::Heading { level, text } => object(vec![
            ("type", json!("HEADING")),
            ("level", json!(level)),
            ("value", Value::Array(vec![plain(text)])),
        ]),
        Block::Code { language, lines } => object(vec![
            ("type", json!("CODE")),
            (
                "language",
                language.as_deref().map_or_else(|| json!("none"), string),
            ),
            (
                "value",
                Value::Array(lines.iter().map(|l| typed("CODE_LINE", plain(l))).collect()),
            ),
        ]),
        Block::Quote(paragraphs) => typed(
            "QUOTE",
            Value::Array(
                paragraphs
                    .iter()
                    .map(|p| typed("PARAGRAPH", inlines(p)))
                    .collect(),
            ),
        ),
        Block::Tasks(items) => typed(
            "TASKS",
            Value::Array(
                items
                    .iter()
                    .map(|(status, v)| {
                        object(vec![
                            ("type", json!("TASK")),
                            ("status", json!(status)),
                            ("value", inlines(v)),
                        ])
                    })
                    .collect(),
            ),
        ),
        Block::OrderedList(items) => typed(
            "ORDERED_LIST",
            Value::Array(
                items
                    .iter()
                    .map(|(v, digits)| list_item(v, js_parse_int(digits)))
                    .collect(),
            ),
        ),
        Block::UnorderedList(items) => typed(
            "UNORDERED_LIST",
            Value::Array(items.iter().map(|v| list_item(v, None)).collect()),
        ),
        Block::LineBreak => object(vec![("type", json!("LINE_BREAK"))]),
        Block::Katex(t) => typed("KATEX", string(t)),
        Block::BigEmoji(v) => typed("BIG_EMOJI", inlines(v)),
    }
}

/// `...(number && { number })` with `number = parseInt(digits, 10)`: absent when zero,
/// otherwise the JSON that `JSON.stringify` writes for that double (`null` when infinite).
fn js_parse_int(digits: &[u16]) -> Option<Value> {
    let number: f64 = String::from_utf16_lossy(digits).parse().unwrap_or(0.0);
    if number == 0.0 {
        return None;
    }
    if !number.is_finite() {
        return Some(Value::Null);
    }
    serde_json::from_str(&js_number_string(number)).ok()
}

/// `Number.prototype.toString()` for a positive finite double.
fn js_number_string(x: f64) -> String {
    // `{:e}` gives the shortest round-trip digits, as JavaScript uses.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return "0".to_owned();
    }
    let k = digits.len() as i32;
    let n = exp + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        // Here 0 < n < k: the point falls inside the digits.
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (head, tail) = digits.split_at(1);
        let frac = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        format!("{head}{frac}e{sign}{}", (n - 1).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::js_number_string;

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(js_number_string(7.0), "7");
        assert_eq!(js_number_string(1e20), "100000000000000000000");
        assert_eq!(js_number_string(1e21), "1e+21");
        assert_eq!(
            js_number_string(12345678901234567890.0),
            "12345678901234567000"
        );
        assert_eq!(js_number_string(1.5e300), "1.5e+300");
    }
}
