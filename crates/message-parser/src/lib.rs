//! Rocket.Chat's message markup parser, reimplemented: turns the text of a chat message
//! into the `md` AST that Rocket.Chat servers store with each message and that clients
//! render (paragraphs, quotes, code, lists, headings, emphasis, links, mentions, emoji,
//! KaTeX, colours, timestamps…).
//!
//! # Reference
//!
//! The output is the JSON of `parse(input, options)` of the npm package
//! `@rocket.chat/message-parser` **0.31.32**, including its quirks (`a@b` is text,
//! `_x_y` is not italic, `mailto:` disappears from addresses it does not link, a fenced
//! code block with CRLF line ends is not code, and so on). That version is the one
//! Rocket.Chat 7.x ships: the `@rocket.chat/rest-typings` packages of 7.9 to 7.13 (and
//! 8.0) depend on `^0.31.32`, 7.0 on `^0.31.31` (whose parser is byte-for-byte the same),
//! and the next published parser changes (0.31.35, 0.32.0) arrive with Rocket.Chat 8.
//! The test suite compares this crate with that package on every input of its corpus.
//!
//! Known differences, none reachable from a normal message:
//! * the empty string, on which the reference throws, gives an empty block list;
//! * text that the reference would cut inside a UTF-16 surrogate pair, and leave cut
//!   after merging, comes out with U+FFFD where JavaScript would keep a lone surrogate;
//! * messages longer than 2^30 UTF-16 code units (which a JavaScript string cannot hold)
//!   become a single paragraph of text.
//!
//! # Cost
//!
//! The reference backtracks and is quadratic (or worse) on inputs like long runs of
//! letters or unclosed markup. This parser takes time and memory linear in the input on
//! every input, has no recursion deeper than a small constant, and does not panic.

mod ast;
mod block;
mod domain;
mod emoji;
mod inline;
mod input;
mod options;
mod scan;
mod tables;

pub use options::{KatexOptions, Options};
use serde_json::Value;

/// Longest input parsed with the grammar; beyond it (far beyond what a JavaScript string
/// holds) the message is returned as one paragraph of text.
const MAX_UNITS: usize = 1 << 30;

/// Work bound checked by the tests and the fuzz target: [`parse_with_stats`] takes at most
/// `STEPS_PER_UNIT * (units + 1) + STEPS_SLACK` steps for a text of `units` UTF-16 code
/// units. Observed maxima are under 100 per unit; the structure (a few dozen run tables and
/// memo tables, each filled once, plus AST building) bounds it near 150.
#[doc(hidden)]
pub const STEPS_PER_UNIT: u64 = 250;
#[doc(hidden)]
pub const STEPS_SLACK: u64 = 10_000;

/// Parses a message into Rocket.Chat's `md` AST: a JSON array of blocks, equal to what
/// `@rocket.chat/message-parser` 0.31.32 returns for the same text and options.
pub fn parse(text: &str, options: &Options) -> Value {
    parse_with_stats(text, options).0
}

/// [`parse`], also returning the number of work steps taken (code units examined by
/// tables, rules and AST building). The test suite checks that it stays within a constant
/// times the input length.
#[doc(hidden)]
pub fn parse_with_stats(text: &str, options: &Options) -> (Value, u64) {
    let units = text.encode_utf16().count();
    if units > MAX_UNITS {
        let plain = ast::Block::Paragraph(vec![ast::Inline::Plain(text.encode_utf16().collect())]);
        return (Value::Array(vec![ast::block_json(&plain)]), units as u64);
    }
    let mut parser = inline::Parser::new(text, options);
    let blocks = parser.document();
    let json = Value::Array(blocks.iter().map(ast::block_json).collect());
    (json, parser.input.steps)
}
