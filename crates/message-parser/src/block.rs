//! The block parser: the grammar's `Start` rule. A message is either a "big emoji"
//! (one to three emoji and nothing else) or a sequence of blocks — quotes, fenced code,
//! headings, task lists, ordered and unordered lists, KaTeX, line breaks — and paragraphs.
//! Blocks are tried in the grammar's order at each block start; every attempt either
//! fails within its first line or consumes what it examined, except fenced code and
//! KaTeX, which stop at the next closing delimiter (found in O(1) from run tables).

use crate::ast::{Block, Inline};
use crate::emoji;
use crate::inline::{Ctx, Loop, Parser};
use crate::input::{Run, is_digit, is_space};
use crate::scan;

impl Parser<'_> {
    /// `Start`.
    pub(crate) fn document(&mut self) -> Vec<Block> {
        if let Some(big) = self.big_emoji() {
            return vec![big];
        }
        let n = self.input.len();
        let mut blocks = Vec::new();
        let mut p = 0;
        while p < n {
            self.input.steps += 1;
            let Some((end, block)) = self.block(p) else {
                break;
            };
            if end <= p {
                break;
            }
            blocks.push(block);
            p = end;
        }
        blocks
    }

    /// `Blocks / Paragraph / EndOfLine` at `p`.
    fn block(&mut self, p: usize) -> Option<(usize, Block)> {
        if let Some(found) = self.blockquote(p) {
            return Some(found);
        }
        if let Some(found) = self.code(p) {
            return Some(found);
        }
        if let Some(found) = self.heading(p) {
            return Some(found);
        }
        if let Some(found) = self.tasks(p) {
            return Some(found);
        }
        if let Some(found) = self.ordered_list(p) {
            return Some(found);
        }
        if let Some(found) = self.unordered_list(p) {
            return Some(found);
        }
        let (paren, dollar) = (
            self.options.katex_parenthesis(),
            self.options.katex_dollar(),
        );
        if let Some((end, from, to)) = scan::katex(&mut self.input, p, true, paren, dollar) {
            return Some((end, Block::Katex(self.input.units(from, to).to_vec())));
        }
        let spaces = self.input.run_end(Run::Space, p);
        if let Some(end) = scan::eol(&self.input, spaces) {
            return Some((end, Block::LineBreak));
        }
        if let Some((end, value)) = self.paragraph(Loop::Inline, p) {
            return Some((end, Block::Paragraph(value)));
        }
        // Unreachable in practice (LineBreak takes every end of line), kept as in the grammar.
        scan::eol(&self.input, p)
            .map(|end| (end, Block::Paragraph(vec![Inline::Plain(Vec::new())])))
    }

    /// `Inline` (or the list-item variant): end, after an optional end of line, and nodes.
    fn paragraph(&mut self, kind: Loop, p: usize) -> Option<(usize, Vec<Inline>)> {
        let end = self.loop_end(kind, Ctx::TOP, p);
        if end == p {
            return None;
        }
        if kind == Loop::StarItem && self.input.is(end, b'*') {
            return None;
        }
        let value = self.build_inline(kind, p, end);
        Some((scan::eol(&self.input, end).unwrap_or(end), value))
    }

    /// `BigEmoji !.`: one to three emoji (or emoticons) with only whitespace around.
    fn big_emoji(&mut self) -> Option<Block> {
        let n = self.input.len();
        let skip = |parser: &mut Self, mut q: usize| {
            while q < n
                && (is_space(parser.input.at(q)) || crate::input::is_eol(parser.input.at(q)))
            {
                parser.input.steps += 1;
                q += 1;
            }
            q
        };
        let mut q = skip(self, 0);
        let mut found = Vec::new();
        while found.len() < 3 {
            let node = if let Some((end, m)) = emoji::emoji(&mut self.input, q) {
                let node = match m {
                    emoji::EmojiMatch::ShortCode => {
                        let code = self.input.units(q + 1, end - 1).to_vec();
                        Inline::Emoji {
                            text: code.clone(),
                            short_code: code,
                        }
                    }
                    emoji::EmojiMatch::Unicode => {
                        Inline::EmojiUnicode(self.input.units(q, end).to_vec())
                    }
                };
                Some((end, node))
            } else if self.options.emoticons {
                emoji::emoticon(&mut self.input, q).map(|(end, name)| {
                    let text = self.input.units(q, end).to_vec();
                    (
                        end,
                        Inline::Emoji {
                            text,
                            short_code: name.encode_utf16().collect(),
                        },
                    )
                })
            } else {
                None
            };
            let Some((end, node)) = node else { break };
            found.push(node);
            q = skip(self, end);
        }
        (!found.is_empty() && q == n).then_some(Block::BigEmoji(found))
    }

    /// `Blockquote = (">" [ \t]* Paragraph)+`.
    fn blockquote(&mut self, p: usize) -> Option<(usize, Block)> {
        let mut q = p;
        let mut lines = Vec::new();
        while self.input.is(q, b'>') {
            let start = self.input.run_end(Run::Space, q + 1);
            let Some((end, value)) = self.paragraph(Loop::Inline, start) else {
                break;
            };
            lines.push(value);
            q = end;
        }
        (!lines.is_empty()).then_some((q, Block::Quote(lines)))
    }

    /// `Code = "```" CodeLanguage? EndOfLine CodeLine+ EndOfLine "```"`.
    fn code(&mut self, p: usize) -> Option<(usize, Block)> {
        if !self.input.lit(p, "```") {
            return None;
        }
        let lang_end = self.input.run_end(Run::CodeLanguage, p + 3);
        let language = (lang_end > p + 3).then(|| self.input.units(p + 3, lang_end).to_vec());
        let mut q = scan::eol(&self.input, lang_end)?;
        let mut lines = Vec::new();
        loop {
            self.input.steps += 1;
            // CodeLine = CodeChunk / "\n" CodeChunk / "\n" !"```"
            let chunk = self.input.run_end(Run::CodeChunk, q);
            if chunk > q {
                lines.push((q, chunk));
                q = chunk;
                continue;
            }
            if !self.input.is(q, b'\n') {
                break;
            }
            let chunk = self.input.run_end(Run::CodeChunk, q + 1);
            if chunk > q + 1 {
                lines.push((q + 1, chunk));
                q = chunk;
            } else if !self.input.lit(q + 1, "```") {
                lines.push((q + 1, q + 1));
                q += 1;
            } else {
                break;
            }
        }
        if lines.is_empty() {
            return None;
        }
        let q = scan::eol(&self.input, q)?;
        if !self.input.lit(q, "```") {
            return None;
        }
        let lines = lines
            .into_iter()
            .map(|(from, to)| self.input.units(from, to).to_vec())
            .collect();
        Some((q + 3, Block::Code { language, lines }))
    }

    /// `Heading = "#"{1,4} [ \t]+ (!EndOfLine .)+`; the end of line is left to the next block.
    fn heading(&mut self, p: usize) -> Option<(usize, Block)> {
        let hashes = (0..4).take_while(|&k| self.input.is(p + k, b'#')).count();
        if hashes == 0 {
            return None;
        }
        let text = self.input.run_end(Run::Space, p + hashes);
        if text == p + hashes {
            return None;
        }
        let end = self.input.run_end(Run::NotEol, text);
        (end > text).then(|| {
            (
                end,
                Block::Heading {
                    level: hashes as u8,
                    text: self.input.units(text, end).to_vec(),
                },
            )
        })
    }

    /// `Tasks = ("- [" ("x" / " ") "]" [ \t]+ Inline)+`.
    fn tasks(&mut self, p: usize) -> Option<(usize, Block)> {
        let mut q = p;
        let mut items = Vec::new();
        loop {
            if !self.input.lit(q, "- [") || !self.input.is(q + 4, b']') {
                break;
            }
            let status = match char::from_u32(self.input.at(q + 3)) {
                Some('x') => true,
                Some(' ') => false,
                _ => break,
            };
            let Some((end, value)) = self.list_item_text(q + 5) else {
                break;
            };
            items.push((status, value));
            q = end;
        }
        (!items.is_empty()).then_some((q, Block::Tasks(items)))
    }

    /// `[ \t]+ Inline` after a list marker.
    fn list_item_text(&mut self, q: usize) -> Option<(usize, Vec<Inline>)> {
        let start = self.input.run_end(Run::Space, q);
        if start == q {
            return None;
        }
        self.paragraph(Loop::Inline, start)
    }

    /// `OrderedList = (Digits "." [ \t]+ Inline)+`.
    fn ordered_list(&mut self, p: usize) -> Option<(usize, Block)> {
        let mut q = p;
        let mut items = Vec::new();
        while is_digit(self.input.at(q)) {
            let digits = self.input.run_end(Run::Digit, q);
            if !self.input.is(digits, b'.') {
                break;
            }
            let Some((end, value)) = self.list_item_text(digits + 1) else {
                break;
            };
            items.push((value, self.input.units(q, digits).to_vec()));
            q = end;
        }
        (!items.is_empty()).then_some((q, Block::OrderedList(items)))
    }

    /// `UnorderedList = ("-" [ \t]+ Inline)+ / ("*" [ \t]+ UnorderedListItemContent)+`.
    fn unordered_list(&mut self, p: usize) -> Option<(usize, Block)> {
        let mut q = p;
        let mut items = Vec::new();
        while self.input.is(q, b'-') {
            let Some((end, value)) = self.list_item_text(q + 1) else {
                break;
            };
            items.push(value);
            q = end;
        }
        if items.is_empty() {
            while self.input.is(q, b'*') {
                let start = self.input.run_end(Run::Space, q + 1);
                if start == q + 1 {
                    break;
                }
                let Some((end, value)) = self.paragraph(Loop::StarItem, start) else {
                    break;
                };
                items.push(value);
                q = end;
            }
        }
        (!items.is_empty()).then_some((q, Block::UnorderedList(items)))
    }
}
