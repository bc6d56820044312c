//! Building the AST of an inline item list that recognition accepted: each item's
//! alternative is determined again (in O(1), the memo answers the nested lists) and
//! turned into nodes, then merged by `reducePlainTexts` as the reference does at each level.

use super::{Alt, Ctx, ItalicAlt, Loop, Parser, RefAlt};
use crate::ast::{Inline, Item, reduce};
use crate::domain;
use crate::scan::{self, LinkRef, Mention};

impl Parser<'_> {
    fn units(&mut self, from: usize, to: usize) -> Vec<u16> {
        let units = self.input.units(from, to).to_vec();
        self.input.steps += units.len() as u64;
        units
    }

    /// The items of the list `kind` over `[start, end)`, which recognition accepted.
    pub(crate) fn build_loop(
        &mut self,
        kind: Loop,
        ctx: Ctx,
        start: usize,
        end: usize,
    ) -> Vec<Item> {
        let mut items = Vec::new();
        let mut cur = start;
        while cur < end {
            let Some((next, alt)) = self.item(kind, ctx, cur) else {
                break;
            };
            if next <= cur {
                break;
            }
            items.push(self.build(alt, ctx, cur, next));
            cur = next;
        }
        items
    }

    /// `Inline` over `[start, end)`: the reduced node list.
    pub(crate) fn build_inline(&mut self, kind: Loop, start: usize, end: usize) -> Vec<Inline> {
        let items = self.build_loop(kind, Ctx::TOP, start, end);
        self.input.steps += items.len() as u64;
        reduce(items)
    }

    fn build(&mut self, alt: Alt, ctx: Ctx, i: usize, end: usize) -> Item {
        self.input.steps += 1;
        match alt {
            Alt::Text => Inline::Plain(self.units(i, end)).into(),
            Alt::Timestamp(format) => Inline::Timestamp {
                timestamp: self.units(i + 3, i + 13),
                format,
            }
            .into(),
            Alt::References => self.build_references(i, ctx),
            Alt::Phone => {
                let text = self.units(i, end);
                phone_link(text)
            }
            Alt::Email(start) => {
                let address = self.units(start, end);
                self.input.steps += 2 * address.len() as u64;
                if domain::email_is_linkable(&address) {
                    let mut href: Vec<u16> = "mailto:".encode_utf16().collect();
                    href.extend_from_slice(&address);
                    Inline::Link {
                        src: href,
                        label: vec![Inline::Plain(address)],
                    }
                    .into()
                } else {
                    Inline::Plain(address).into()
                }
            }
            Alt::AutoLink => {
                let src = self.units(i, end);
                // Host-name extraction and URL parsing examine the text a few times.
                self.input.steps += 4 * src.len() as u64;
                if !domain::url_is_linkable(&src, &self.options.custom_domains) {
                    return Inline::Plain(src).into();
                }
                let text = String::from_utf16_lossy(&src);
                let href = if domain::is_absolute_url(&text) || text.starts_with("//") {
                    src.clone()
                } else {
                    let mut href: Vec<u16> = "//".encode_utf16().collect();
                    href.extend_from_slice(&src);
                    href
                };
                Inline::Link {
                    src: href,
                    label: vec![Inline::Plain(src)],
                }
                .into()
            }
            Alt::Bold => self.build_bold_or_strike(Loop::Bold, i, ctx),
            Alt::Strike => self.build_bold_or_strike(Loop::Strike, i, ctx),
            Alt::Italic => self.build_italic(i, ctx),
            Alt::UserMention => match scan::user_mention(&mut self.input, i) {
                Some((_, Mention::Name(name))) => Inline::MentionUser(self.units(name, end)).into(),
                Some((_, Mention::Glued(at))) => self.glued(i, b'@', at),
                None => Inline::Plain(self.units(i, end)).into(),
            },
            Alt::ChannelMention => match scan::channel_mention(&mut self.input, i) {
                Some((_, Mention::Name(name))) => {
                    Inline::MentionChannel(self.units(name, end)).into()
                }
                Some((_, Mention::Glued(at))) => self.glued(i, b'#', at),
                None => Inline::Plain(self.units(i, end)).into(),
            },
            Alt::Emoji(true) => {
                let code = self.units(i + 1, end - 1);
                Inline::Emoji {
                    text: code.clone(),
                    short_code: code,
                }
                .into()
            }
            Alt::Emoji(false) => Inline::EmojiUnicode(self.units(i, end)).into(),
            Alt::InlineCode => Inline::Code(self.units(i + 1, end - 1)).into(),
            Alt::Image => match scan::image(&mut self.input, i) {
                Some(img) => {
                    let src = self.href(img.href);
                    let label = match img.title_end {
                        Some(title_end) => self.units(i + 2, title_end),
                        None => src.clone(),
                    };
                    Inline::Image { src, label }.into()
                }
                None => Inline::Plain(self.units(i, end)).into(),
            },
            Alt::Emoticon(name) => Inline::Emoji {
                text: self.units(i, end),
                short_code: name.encode_utf16().collect(),
            }
            .into(),
            Alt::Color(rgba) => Inline::Color(rgba).into(),
            Alt::Katex(from, to) => Inline::Katex(self.units(from, to)).into(),
            Alt::Escaped => Inline::Plain(self.units(i + 1, end)).into(),
        }
    }

    /// `Text "@"+ AlphaNumericChar` and the like: the first unit, one sigil, the unit at `at`.
    fn glued(&mut self, i: usize, sigil: u8, at: usize) -> Item {
        let mut text = self.units(i, i + 1);
        text.push(u16::from(sigil));
        text.extend(self.units(at, at + 1));
        Inline::Plain(text).into()
    }

    /// The href of a link reference.
    fn href(&mut self, (from, to, kind): (usize, usize, LinkRef)) -> Vec<u16> {
        let text = self.units(from, to);
        match kind {
            LinkRef::Text => text,
            LinkRef::Phone => {
                let mut href: Vec<u16> = "tel:".encode_utf16().collect();
                href.extend(text.into_iter().filter(|&u| (0x30..=0x39).contains(&u)));
                href
            }
        }
    }

    fn build_references(&mut self, i: usize, ctx: Ctx) -> Item {
        let Some((_, alt)) = self.references(i, ctx) else {
            return Inline::Plain(self.units(i, i + 1)).into();
        };
        match alt {
            RefAlt::Markdown { title_end, href } => {
                let src = self.href(href);
                let items =
                    self.build_loop(Loop::LinkTitle, ctx.with(Ctx::REFERENCES), i + 1, title_end);
                let label = if items.is_empty() {
                    vec![Inline::Plain(src.clone())]
                } else {
                    reduce(items)
                };
                Inline::Link { src, label }.into()
            }
            RefAlt::Angle { href, title } => {
                let src = self.href(href);
                let label = vec![Inline::Plain(self.units(title.0, title.1))];
                Inline::Link { src, label }.into()
            }
        }
    }

    fn build_bold_or_strike(&mut self, kind: Loop, i: usize, ctx: Ctx) -> Item {
        let (flag, double) = match kind {
            Loop::Bold => (Ctx::BOLD, "**"),
            _ => (Ctx::STRIKE, "~~"),
        };
        let inner = ctx.with(flag);
        let mut range = None;
        if self.input.lit(i, double) {
            let end = self.loop_end(kind, inner, i + 2);
            if end > i + 2 && self.input.lit(end, double) {
                range = Some((i + 2, end));
            }
        }
        let (from, to) = range.unwrap_or_else(|| (i + 1, self.loop_end(kind, inner, i + 1)));
        let items = reduce(self.build_loop(kind, inner, from, to));
        match kind {
            Loop::Bold => Inline::Bold(items).into(),
            _ => Inline::Strike(items).into(),
        }
    }

    fn build_italic(&mut self, i: usize, ctx: Ctx) -> Item {
        let Some((end, alt)) = self.italic(i, ctx) else {
            return Inline::Plain(self.units(i, i + 1)).into();
        };
        let inner = ctx.with(Ctx::ITALIC);
        match alt {
            ItalicAlt::Word => Inline::Plain(self.units(i, end)).into(),
            ItalicAlt::Suffixed { double, close } => {
                let marker: Vec<u16> = if double { vec![0x5F, 0x5F] } else { vec![0x5F] };
                let width = marker.len();
                let content = reduce(self.build_loop(Loop::Italic, inner, i + width, close));
                let tail = self.units(close + width, end);
                let mut parts = vec![
                    Item::One(Inline::Plain(marker.clone())),
                    Item::Many(content),
                ];
                parts.push(Item::One(Inline::Plain(marker)));
                parts.push(Item::One(Inline::Plain(tail)));
                Item::Many(reduce(parts))
            }
            ItalicAlt::Wrapped { double, close } => {
                let width = if double { 2 } else { 1 };
                Inline::Italic(reduce(self.build_loop(
                    Loop::Italic,
                    inner,
                    i + width,
                    close,
                )))
                .into()
            }
        }
    }
}

/// `phoneChecker`: a `tel:` link when the number has at least five digits.
fn phone_link(text: Vec<u16>) -> Item {
    let number: Vec<u16> = text
        .iter()
        .copied()
        .filter(|u| (0x30..=0x39).contains(u))
        .collect();
    if number.len() < 5 {
        return Inline::Plain(text).into();
    }
    let mut href: Vec<u16> = "tel:".encode_utf16().collect();
    href.extend(number);
    Inline::Link {
        src: href,
        label: vec![Inline::Plain(text)],
    }
    .into()
}
