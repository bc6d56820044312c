//! The inline parser: the grammar's inline item lists (paragraph text, emphasis contents,
//! link titles), recognised first and built second.
//!
//! The reference is a backtracking PEG: an unclosed `*` makes it scan the rest of the line
//! as bold content, give up, and scan it again as text, and nested emphasis multiplies
//! that. Here every item list ("loop") is recognised with a memo keyed by
//! (list kind, context, position) that records where the list starting there ends, so
//! each (kind, context, position) is examined once however often it is reached; the
//! context is the set of emphasis and link rules already open, which the reference
//! tracks with its `skipBold`-style flags and which makes the same text parse
//! differently inside bold than outside. Building the AST afterwards walks only the
//! chosen parse. Recursion follows the nesting of open rules, and each kind can be open
//! once (a bold inside a bold is refused by the grammar), so depth is bounded.

use crate::Options;
mod build;

use crate::emoji::{self, EmojiMatch};
use crate::input::{Input, Run};
use crate::scan::{self, LinkRef};

/// The emphasis and link rules open around a position (`skipBold` and friends).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ctx(u8);

impl Ctx {
    pub(crate) const TOP: Ctx = Ctx(0);
    pub(super) const BOLD: u8 = 1;
    pub(super) const ITALIC: u8 = 2;
    pub(super) const STRIKE: u8 = 4;
    pub(super) const REFERENCES: u8 = 8;

    pub(super) fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    pub(super) fn with(self, flag: u8) -> Ctx {
        Ctx(self.0 | flag)
    }
}

/// Item lists of the grammar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loop {
    /// `Inline = (InlineItem / Any)+`
    Inline,
    /// `UnorderedListItemContent = (InlineItem / !"*" Any)+`
    StarItem,
    Bold,
    Italic,
    Strike,
    /// `LinkTitle*` of `[title](href)`
    LinkTitle,
}

const LOOP_KINDS: usize = 6;

/// Which alternative produced an item.
#[derive(Clone, Copy)]
pub(super) enum Alt {
    /// Text that is its own value: whitespace, `Any`, a single character, `Line`, emphasis
    /// markers around whitespace.
    Text,
    Timestamp(char),
    References,
    Phone,
    Email(usize),
    AutoLink,
    Bold,
    Italic,
    Strike,
    UserMention,
    ChannelMention,
    Emoji(bool),
    InlineCode,
    Image,
    Emoticon(&'static str),
    Color([u8; 4]),
    Katex(usize, usize),
    Escaped,
}

/// How an italic matched.
#[derive(Clone, Copy)]
pub(super) enum ItalicAlt {
    /// `[a-zA-Z0-9]+ "_" "_"?`: plain text.
    Word,
    /// `__ content __ [a-zA-Z0-9]+` (`double`) or `_ content _ [a-zA-Z]+`: text around the
    /// content, spliced into the enclosing list. Content ends at `close`.
    Suffixed { double: bool, close: usize },
    /// `__content__` or `_content_`.
    Wrapped { double: bool, close: usize },
}

/// How a link reference matched.
#[derive(Clone, Copy)]
pub(super) enum RefAlt {
    /// `[title](href)`: title ends at `title_end`, href spans `href`.
    Markdown {
        title_end: usize,
        href: (usize, usize, LinkRef),
    },
    /// `<href|title>`
    Angle {
        href: (usize, usize, LinkRef),
        title: (usize, usize),
    },
}

pub(crate) struct Parser<'o> {
    pub(crate) input: Input,
    pub(crate) options: &'o Options,
    /// End of each item list, by (kind, context) and start position; 0 = not yet known,
    /// otherwise end + 1.
    loop_ends: Vec<Option<Vec<u32>>>,
}

impl<'o> Parser<'o> {
    pub(crate) fn new(text: &str, options: &'o Options) -> Self {
        Parser {
            input: Input::new(text),
            options,
            loop_ends: vec![None; LOOP_KINDS * 16],
        }
    }

    /// Where the item list of `kind` starting at `start` ends (`start` if it is empty).
    pub(crate) fn loop_end(&mut self, kind: Loop, ctx: Ctx, start: usize) -> usize {
        let slot = kind as usize * 16 + usize::from(ctx.0 & 15);
        let n = self.input.len();
        if self.loop_ends[slot].is_none() {
            self.input.steps += n as u64 + 1;
            self.loop_ends[slot] = Some(vec![0; n + 1]);
        }
        let known = |p: &Self, at: usize| -> Option<usize> {
            let v = *p.loop_ends[slot].as_ref()?.get(at)?;
            (v != 0).then(|| v as usize - 1)
        };
        let mut visited = Vec::new();
        let mut cur = start;
        let end = loop {
            if let Some(end) = known(self, cur) {
                break end;
            }
            self.input.steps += 1;
            match self.item(kind, ctx, cur) {
                Some((next, _)) if next > cur => {
                    visited.push(cur);
                    cur = next;
                }
                _ => {
                    visited.push(cur);
                    break cur;
                }
            }
        };
        if let Some(table) = self.loop_ends[slot].as_mut() {
            for at in visited {
                if let Some(cell) = table.get_mut(at) {
                    *cell = end as u32 + 1;
                }
            }
        }
        end
    }

    /// One item of the list `kind` at `i`.
    pub(super) fn item(&mut self, kind: Loop, ctx: Ctx, i: usize) -> Option<(usize, Alt)> {
        match kind {
            Loop::Inline => self
                .inline_item(i)
                .or_else(|| scan::any(&mut self.input, i).map(|e| (e, Alt::Text))),
            Loop::StarItem => self.inline_item(i).or_else(|| {
                if self.input.is(i, b'*') {
                    return None;
                }
                scan::any(&mut self.input, i).map(|e| (e, Alt::Text))
            }),
            Loop::Bold | Loop::Italic | Loop::Strike => self.emphasis_item(kind, ctx, i),
            Loop::LinkTitle => self.link_title_item(ctx, i),
        }
    }

    /// `InlineItem`, at top level.
    fn inline_item(&mut self, i: usize) -> Option<(usize, Alt)> {
        let ctx = Ctx::TOP;
        let opts = self.options;
        if let Some(e) = scan::whitespace(&mut self.input, i) {
            return Some((e, Alt::Text));
        }
        if let Some((e, f)) = scan::timestamp(&self.input, i) {
            return Some((e, Alt::Timestamp(f)));
        }
        if let Some((e, _)) = self.references(i, ctx) {
            return Some((e, Alt::References));
        }
        if let Some(e) = scan::phone(&mut self.input, i) {
            return Some((e, Alt::Phone));
        }
        if let Some((e, start)) = scan::email(&mut self.input, i) {
            return Some((e, Alt::Email(start)));
        }
        if let Some(e) = scan::autolink_url(&mut self.input, i) {
            return Some((e, Alt::AutoLink));
        }
        if let Some(e) = scan::emphasis_with_whitespace(&mut self.input, i) {
            return Some((e, Alt::Text));
        }
        if let Some(found) = self.emphasis(i, ctx) {
            return Some(found);
        }
        if let Some((e, _)) = scan::user_mention(&mut self.input, i) {
            return Some((e, Alt::UserMention));
        }
        if let Some((e, _)) = scan::channel_mention(&mut self.input, i) {
            return Some((e, Alt::ChannelMention));
        }
        if let Some((e, m)) = emoji::emoji(&mut self.input, i) {
            return Some((e, Alt::Emoji(matches!(m, EmojiMatch::ShortCode))));
        }
        if let Some(e) = scan::inline_code(&mut self.input, i) {
            return Some((e, Alt::InlineCode));
        }
        if let Some(img) = scan::image(&mut self.input, i) {
            return Some((img.end, Alt::Image));
        }
        if let Some(found) = self.emoticon(i) {
            return Some(found);
        }
        if opts.colors
            && let Some((e, rgba)) = scan::color(&self.input, i)
        {
            return Some((e, Alt::Color(rgba)));
        }
        if let Some((e, from, to)) = scan::katex(
            &mut self.input,
            i,
            false,
            opts.katex_parenthesis(),
            opts.katex_dollar(),
        ) {
            return Some((e, Alt::Katex(from, to)));
        }
        scan::escaped(&self.input, i).map(|e| (e, Alt::Escaped))
    }

    fn emoticon(&mut self, i: usize) -> Option<(usize, Alt)> {
        if !self.options.emoticons {
            return None;
        }
        emoji::emoticon(&mut self.input, i).map(|(e, name)| (e, Alt::Emoticon(name)))
    }

    /// `Emphasis = MaybeBold / MaybeItalic / MaybeStrikethrough`.
    fn emphasis(&mut self, i: usize, ctx: Ctx) -> Option<(usize, Alt)> {
        if let Some(e) = self.bold_or_strike(Loop::Bold, i, ctx) {
            return Some((e, Alt::Bold));
        }
        if let Some((e, _)) = self.italic(i, ctx) {
            return Some((e, Alt::Italic));
        }
        self.bold_or_strike(Loop::Strike, i, ctx)
            .map(|e| (e, Alt::Strike))
    }

    /// The items of bold, italic and strike contents. They differ in order and in which
    /// emphasis they may contain.
    fn emphasis_item(&mut self, kind: Loop, ctx: Ctx, i: usize) -> Option<(usize, Alt)> {
        if kind == Loop::Strike
            && let Some((e, f)) = scan::timestamp(&self.input, i)
        {
            return Some((e, Alt::Timestamp(f)));
        }
        if let Some(e) = scan::whitespace(&mut self.input, i) {
            return Some((e, Alt::Text));
        }
        if let Some(e) = scan::inline_code(&mut self.input, i) {
            return Some((e, Alt::InlineCode));
        }
        if let Some((e, _)) = self.references(i, ctx) {
            return Some((e, Alt::References));
        }
        if let Some((e, _)) = scan::user_mention(&mut self.input, i) {
            return Some((e, Alt::UserMention));
        }
        if let Some((e, _)) = scan::channel_mention(&mut self.input, i) {
            return Some((e, Alt::ChannelMention));
        }
        // Bold content: italic, strike. Italic content: bold, strike. Strike content:
        // italic, bold.
        let nested: [Loop; 2] = match kind {
            Loop::Bold => [Loop::Italic, Loop::Strike],
            Loop::Italic => [Loop::Bold, Loop::Strike],
            _ => [Loop::Italic, Loop::Bold],
        };
        for inner in nested {
            let found = match inner {
                Loop::Italic => self.italic(i, ctx).map(|(e, _)| (e, Alt::Italic)),
                Loop::Bold => self
                    .bold_or_strike(Loop::Bold, i, ctx)
                    .map(|e| (e, Alt::Bold)),
                _ => self
                    .bold_or_strike(Loop::Strike, i, ctx)
                    .map(|e| (e, Alt::Strike)),
            };
            if found.is_some() {
                return found;
            }
        }
        if let Some((e, m)) = emoji::emoji(&mut self.input, i) {
            return Some((e, Alt::Emoji(matches!(m, EmojiMatch::ShortCode))));
        }
        if let Some(found) = self.emoticon(i) {
            return Some(found);
        }
        // AnyBold / AnyItalic / AnyStrike: one code unit other than `\n`, space and the
        // marker (a `Line` could only start where these fail, and can't match there).
        let marker = match kind {
            Loop::Bold => b'*',
            Loop::Italic => b'_',
            _ => b'~',
        };
        let c = self.input.at(i);
        let excluded = c == 0x0A || c == 0x20 || c == u32::from(marker);
        (i < self.input.len() && !excluded).then_some((i + 1, Alt::Text))
    }

    /// `LinkTitle = Whitespace / Emphasis / !("](" .) .`
    fn link_title_item(&mut self, ctx: Ctx, i: usize) -> Option<(usize, Alt)> {
        if let Some(e) = scan::whitespace(&mut self.input, i) {
            return Some((e, Alt::Text));
        }
        if let Some(found) = self.emphasis(i, ctx) {
            return Some(found);
        }
        let closes = self.input.lit(i, "](") && i + 2 < self.input.len();
        (i < self.input.len() && !closes).then_some((i + 1, Alt::Text))
    }

    /// `MaybeBold` / `MaybeStrikethrough`: `**x**` or `*x*` (`~~x~~` or `~x~`).
    pub(super) fn bold_or_strike(&mut self, kind: Loop, i: usize, ctx: Ctx) -> Option<usize> {
        let (flag, marker, double) = match kind {
            Loop::Bold => (Ctx::BOLD, b'*', "**"),
            _ => (Ctx::STRIKE, b'~', "~~"),
        };
        if ctx.has(flag) || !self.input.is(i, marker) {
            return None;
        }
        let inner = ctx.with(flag);
        if self.input.lit(i, double) {
            let end = self.loop_end(kind, inner, i + 2);
            if end > i + 2 && self.input.lit(end, double) {
                return Some(end + 2);
            }
        }
        let end = self.loop_end(kind, inner, i + 1);
        (end > i + 1 && self.input.is(end, marker)).then_some(end + 1)
    }

    /// `MaybeItalic`.
    pub(super) fn italic(&mut self, i: usize, ctx: Ctx) -> Option<(usize, ItalicAlt)> {
        if ctx.has(Ctx::ITALIC) {
            return None;
        }
        let word = self.input.run_end(Run::Alnum, i);
        if word > i && self.input.is(word, b'_') {
            let end = if self.input.is(word + 1, b'_') {
                word + 2
            } else {
                word + 1
            };
            return Some((end, ItalicAlt::Word));
        }
        if !self.input.is(i, b'_') {
            return None;
        }
        let inner = ctx.with(Ctx::ITALIC);
        let double = self.input.lit(i, "__");
        let double_close = if double {
            Some(self.loop_end(Loop::Italic, inner, i + 2)).filter(|&e| e > i + 2)
        } else {
            None
        };
        let single_close = Some(self.loop_end(Loop::Italic, inner, i + 1)).filter(|&e| e > i + 1);
        if let Some(close) = double_close.filter(|&e| self.input.lit(e, "__")) {
            let tail = self.input.run_end(Run::Alnum, close + 2);
            if tail > close + 2 {
                return Some((
                    tail,
                    ItalicAlt::Suffixed {
                        double: true,
                        close,
                    },
                ));
            }
        }
        if let Some(close) = single_close.filter(|&e| self.input.is(e, b'_')) {
            let tail = self.input.run_end(Run::Alpha, close + 1);
            if tail > close + 1 {
                return Some((
                    tail,
                    ItalicAlt::Suffixed {
                        double: false,
                        close,
                    },
                ));
            }
        }
        if let Some(close) = double_close.filter(|&e| self.input.lit(e, "__")) {
            return Some((
                close + 2,
                ItalicAlt::Wrapped {
                    double: true,
                    close,
                },
            ));
        }
        if let Some(close) = single_close.filter(|&e| self.input.is(e, b'_')) {
            return Some((
                close + 1,
                ItalicAlt::Wrapped {
                    double: false,
                    close,
                },
            ));
        }
        None
    }

    /// `MaybeReferences`.
    pub(super) fn references(&mut self, i: usize, ctx: Ctx) -> Option<(usize, RefAlt)> {
        if ctx.has(Ctx::REFERENCES) {
            return None;
        }
        if self.input.is(i, b'[') {
            let title_end = self.loop_end(Loop::LinkTitle, ctx.with(Ctx::REFERENCES), i + 1);
            if self.input.lit(title_end, "](")
                && let Some((r, kind)) = scan::link_ref(&mut self.input, title_end + 2)
                && self.input.is(r, b')')
            {
                return Some((
                    r + 1,
                    RefAlt::Markdown {
                        title_end,
                        href: (title_end + 2, r, kind),
                    },
                ));
            }
        }
        if self.input.is(i, b'<')
            && let Some((r, kind)) = scan::link_ref(&mut self.input, i + 1)
            && self.input.is(r, b'|')
        {
            let title = self.input.run_end(Run::LinkTitle2, r + 1);
            if title > r + 1 && self.input.is(title, b'>') {
                return Some((
                    title + 1,
                    RefAlt::Angle {
                        href: (i + 1, r, kind),
                        title: (r + 1, title),
                    },
                ));
            }
        }
        None
    }
}
