//! Lexing helpers: the message as UTF-16 code units (the reference grammar runs on a
//! JavaScript string, so `.` and every character class match one code unit), the
//! grammar's character classes, and run tables that answer "where does this run of
//! characters end" in O(1), so that no rule rescans a run from each of its positions.

use crate::tables;

/// Code unit returned past the end of the input; belongs to no class.
pub(crate) const EOF: u32 = 0x11_0000;

pub(crate) fn is_space(c: u32) -> bool {
    c == 0x20 || c == 0x09
}

/// First code unit of an `EndOfLine` (`\r\n`, `\n` or `\r`).
pub(crate) fn is_eol(c: u32) -> bool {
    c == 0x0A || c == 0x0D
}

pub(crate) fn is_digit(c: u32) -> bool {
    (0x30..=0x39).contains(&c)
}

pub(crate) fn is_alpha_ascii(c: u32) -> bool {
    (0x41..=0x5A).contains(&c) || (0x61..=0x7A).contains(&c)
}

pub(crate) fn is_alnum_ascii(c: u32) -> bool {
    is_alpha_ascii(c) || is_digit(c)
}

pub(crate) fn is_hex(c: u32) -> bool {
    is_digit(c) || (0x41..=0x46).contains(&c) || (0x61..=0x66).contains(&c)
}

/// `AnyText`: printable ASCII except `( ) *` and `[ \ ] ^ _ ` { | } ~`, or any non-ASCII
/// code unit (lone surrogate halves included).
pub(crate) fn is_any_text(c: u32) -> bool {
    matches!(c, 0x20..=0x27 | 0x2B..=0x40 | 0x41..=0x5A | 0x61..=0x7A | 0x80..=0xFFFF)
}

/// `Extra`: punctuation that may not end a URL.
pub(crate) fn is_extra(c: u32) -> bool {
    matches!(
        char::from_u32(c),
        Some('.' | ',' | '!' | '%' | '~' | '*' | '"' | '\'' | ':' | ';' | '(' | ')' | '=')
    )
}

fn is_safe(c: u32) -> bool {
    matches!(
        char::from_u32(c),
        Some('$' | '@' | '&' | '+' | '_' | '#' | '?' | '-')
    )
}

/// What may follow the `_` or `-` that starts a two-unit `DomainChar`, and what a
/// one-unit `DomainChar` may be (besides not being `Extra` or `Safe`).
fn is_domain_tail(c: u32) -> bool {
    c != EOF
        && !is_eol(c)
        && !is_space(c)
        && !matches!(
            char::from_u32(c),
            Some('\\' | '/' | '|' | '>' | '<' | '%' | '`')
        )
}

/// Length of the `DomainChar` at `i` (0 when there is none). The rule is
/// `!Extra ([_-] / !Safe) !EndOfLine !Space ![\\/|><%`] .`: an `_` or `-` is consumed by
/// the class and then `.` takes the next code unit too, checked only by the lookaheads.
pub(crate) fn domain_char_len(c: u32, next: u32) -> usize {
    if c == u32::from(b'_') || c == u32::from(b'-') {
        if is_domain_tail(next) { 2 } else { 0 }
    } else if !is_extra(c) && !is_safe(c) && is_domain_tail(c) {
        1
    } else {
        0
    }
}

/// `AlphaDigit / ![@/] Safe`: characters of URL user names and passwords.
fn is_user_info(c: u32) -> bool {
    is_alnum_ascii(c) || (is_safe(c) && c != u32::from(b'@'))
}

fn is_short_code(c: u32) -> bool {
    is_alnum_ascii(c) || matches!(char::from_u32(c), Some('-' | '_' | '+' | '.'))
}

fn in_ranges(c: u32, ranges: &[(u16, u16)]) -> bool {
    let Ok(c) = u16::try_from(c) else {
        return false;
    };
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `AlphaNumericChar`: the grammar's Unicode letters and decimal digits.
pub(crate) fn is_alnum_char(c: u32) -> bool {
    in_ranges(c, tables::ALPHA_CHAR) || in_ranges(c, tables::DECIMAL_NUMBER_CHAR)
}

/// `UTF8NamesValidation` characters: user and channel names.
fn is_name(c: u32) -> bool {
    matches!(char::from_u32(c), Some('-' | '_' | '.')) || is_alnum_char(c)
}

/// `AlphaNumericOrMarkChar`, which starts each piece of an e-mail local part.
pub(crate) fn is_local_start(c: u32) -> bool {
    in_ranges(c, tables::ALPHA_CHAR)
        || in_ranges(c, tables::EMOJI_CHAR)
        || in_ranges(c, tables::MARK_CHAR)
        || in_ranges(c, tables::DECIMAL_NUMBER_CHAR)
}

fn is_local_special(c: u32) -> bool {
    matches!(
        char::from_u32(c),
        Some(
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
                | '-'
        )
    )
}

/// `LinkTitle2`: the label of `<url|label>` links.
fn is_link_title2(c: u32) -> bool {
    matches!(c, 0x20..=0x3B | 0x3D | 0x3F..=0x7B | 0x7D..=0xFFFF)
}

/// Characters a URL body accepts besides `AnyText`.
fn is_url_extra_char(c: u32) -> bool {
    matches!(
        char::from_u32(c),
        Some('*' | '[' | '/' | ']' | '^' | '_' | '`' | '{' | '}' | '~' | '(')
    )
}

fn is_code_language(c: u32) -> bool {
    is_alnum_ascii(c) || matches!(char::from_u32(c), Some(' ' | '_' | '-' | '.'))
}

/// Maximal runs of one character class (or one per-position condition).
#[derive(Clone, Copy)]
pub(crate) enum Run {
    Space,
    Digit,
    Alnum,
    Alpha,
    AnyText,
    Extra,
    DomainChar,
    UserInfo,
    ShortCode,
    At,
    Star,
    Underscore,
    Tilde,
    Name,
    /// `AlphaNumericOrMarkChar` or local-part special characters.
    LocalPart,
    LinkTitle2,
    /// Inline code content: anything but a backtick or `\n`.
    CodeSpan,
    /// Anything but `\r` and `\n`.
    NotEol,
    /// `CodeChunk`: anything but an end of line or the start of three backticks.
    CodeChunk,
    CodeLanguage,
    /// `[A-Za-z0-9+-]`: URL scheme characters.
    Scheme,
    /// `URLBody` code units.
    UrlBody,
    /// `AutoLinkURLBody` code units.
    AutoLinkBody,
}

const RUN_KINDS: usize = Run::AutoLinkBody as usize + 1;

/// Tables built by dynamic programming from right to left.
#[derive(Clone, Copy)]
pub(crate) enum Chain {
    /// End of `("." DomainChar DomainNameLabel*)*` from a position.
    DomainTail,
    /// End of `("." LocalPartChar+)*` from a position.
    LocalTail,
    /// End of `(Pictograph Fitzpatrick? ZWJ)*` from a position.
    EmojiZwjLoop,
    /// End of `(ZWJ Pictograph)*` from a position.
    EmojiZwjTail,
}

const CHAIN_KINDS: usize = Chain::EmojiZwjTail as usize + 1;

/// "Next occurrence at or after" tables for KaTeX delimiters.
#[derive(Clone, Copy)]
pub(crate) enum Next {
    Dollar,
    DoubleDollar,
    /// `\)`
    CloseParen,
    /// `\]`
    CloseBracket,
}

const NEXT_KINDS: usize = Next::CloseBracket as usize + 1;

/// Marker for "no occurrence" in [`Next`] tables.
const ABSENT: u32 = u32::MAX;

pub(crate) struct Input {
    units: Vec<u16>,
    runs: [Option<Vec<u32>>; RUN_KINDS],
    chains: [Option<Vec<u32>>; CHAIN_KINDS],
    nexts: [Option<Vec<u32>>; NEXT_KINDS],
    /// Work counter: code units examined while building tables and parsing.
    pub(crate) steps: u64,
}

impl Input {
    /// Callers guarantee that `text` has fewer than `u32::MAX / 2` UTF-16 code units.
    pub(crate) fn new(text: &str) -> Self {
        let units: Vec<u16> = text.encode_utf16().collect();
        Input {
            steps: units.len() as u64,
            units,
            runs: Default::default(),
            chains: Default::default(),
            nexts: Default::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.units.len()
    }

    /// The code unit at `i`, or [`EOF`].
    pub(crate) fn at(&self, i: usize) -> u32 {
        self.units.get(i).map_or(EOF, |&c| u32::from(c))
    }

    pub(crate) fn is(&self, i: usize, c: u8) -> bool {
        self.at(i) == u32::from(c)
    }

    /// Whether the ASCII literal `lit` occurs at `i`.
    pub(crate) fn lit(&self, i: usize, lit: &str) -> bool {
        lit.bytes().enumerate().all(|(k, b)| self.is(i + k, b))
    }

    pub(crate) fn units(&self, from: usize, to: usize) -> &[u16] {
        self.units.get(from..to).unwrap_or(&[])
    }

    /// End of the run of `kind` starting at `i` (`i` itself when the run is empty).
    pub(crate) fn run_end(&mut self, kind: Run, i: usize) -> usize {
        if self.runs[kind as usize].is_none() {
            let table = self.build_run(kind);
            self.runs[kind as usize] = Some(table);
        }
        lookup(self.runs[kind as usize].as_deref(), i)
    }

    pub(crate) fn chain_end(&mut self, kind: Chain, i: usize) -> usize {
        if self.chains[kind as usize].is_none() {
            let table = self.build_chain(kind);
            self.chains[kind as usize] = Some(table);
        }
        lookup(self.chains[kind as usize].as_deref(), i)
    }

    /// First position `>= i` where the delimiter of `kind` starts.
    pub(crate) fn next(&mut self, kind: Next, i: usize) -> Option<usize> {
        if self.nexts[kind as usize].is_none() {
            let table = self.build_next(kind);
            self.nexts[kind as usize] = Some(table);
        }
        let table = self.nexts[kind as usize].as_deref()?;
        match table.get(i).copied() {
            Some(ABSENT) | None => None,
            Some(p) => Some(p as usize),
        }
    }

    fn build_run(&mut self, kind: Run) -> Vec<u32> {
        let n = self.len();
        // Per-position conditions that look further than one code unit need the Extra run.
        let extra = match kind {
            Run::UrlBody | Run::AutoLinkBody => {
                self.run_end(Run::Extra, 0);
                self.runs[Run::Extra as usize].take()
            }
            _ => None,
        };
        self.steps += n as u64 + 1;
        let mut table = vec![0u32; n + 1];
        table[n] = n as u32;
        table.push(n as u32 + 1);
        for i in (0..n).rev() {
            let c = self.at(i);
            let member = match kind {
                Run::Space => is_space(c),
                Run::Digit => is_digit(c),
                Run::Alnum => is_alnum_ascii(c),
                Run::Alpha => is_alpha_ascii(c),
                Run::AnyText => is_any_text(c),
                Run::Extra => is_extra(c),
                Run::DomainChar => {
                    // A sequence of one- and two-unit tokens.
                    let len = domain_char_len(c, self.at(i + 1));
                    table[i] = if len > 0 { table[i + len] } else { i as u32 };
                    continue;
                }
                Run::UserInfo => is_user_info(c),
                Run::ShortCode => is_short_code(c),
                Run::At => c == u32::from(b'@'),
                Run::Star => c == u32::from(b'*'),
                Run::Underscore => c == u32::from(b'_'),
                Run::Tilde => c == u32::from(b'~'),
                Run::Name => is_name(c),
                Run::LocalPart => is_local_start(c) || is_local_special(c),
                Run::LinkTitle2 => is_link_title2(c),
                Run::CodeSpan => c != u32::from(b'`') && c != 0x0A,
                Run::NotEol => !is_eol(c),
                Run::CodeChunk => !is_eol(c) && !self.lit(i, "```"),
                Run::CodeLanguage => is_code_language(c),
                Run::Scheme => is_alnum_ascii(c) || c == u32::from(b'+') || c == u32::from(b'-'),
                Run::UrlBody => {
                    // !(Extra+ (Whitespace / EndOfLine) / Whitespace) (AnyText / [*[/]^_`{}~(])
                    let after_extra = lookup(extra.as_deref(), i);
                    let stop = (after_extra > i && ends_word(self.at(after_extra))) || is_space(c);
                    !stop && (is_any_text(c) || is_url_extra_char(c))
                }
                Run::AutoLinkBody => {
                    // !(Extra* (Whitespace / EndOfLine)) .
                    let after_extra = lookup(extra.as_deref(), i);
                    !ends_word(self.at(after_extra))
                }
            };
            table[i] = if member { table[i + 1] } else { i as u32 };
        }
        if let Some(extra) = extra {
            self.runs[Run::Extra as usize] = Some(extra);
        }
        table
    }

    fn build_chain(&mut self, kind: Chain) -> Vec<u32> {
        let n = self.len();
        self.steps += n as u64 + 1;
        let mut table = vec![0u32; n + 2];
        table[n] = n as u32;
        table[n + 1] = (n + 1) as u32;
        for i in (0..n).rev() {
            let end = match kind {
                Chain::DomainTail => {
                    if self.is(i, b'.') && domain_char_len(self.at(i + 1), self.at(i + 2)) > 0 {
                        let label_end = self.run_end(Run::DomainChar, i + 1);
                        table[label_end] as usize
                    } else {
                        i
                    }
                }
                Chain::LocalTail => {
                    if self.is(i, b'.') && is_local_start(self.at(i + 1)) {
                        let piece_end = self.run_end(Run::LocalPart, i + 1);
                        table[piece_end] as usize
                    } else {
                        i
                    }
                }
                Chain::EmojiZwjLoop => match crate::emoji::pictograph(self, i) {
                    Some(end) => {
                        let end = crate::emoji::fitzpatrick(self, end).unwrap_or(end);
                        if self.at(end) == 0x200D {
                            table[end + 1] as usize
                        } else {
                            i
                        }
                    }
                    None => i,
                },
                Chain::EmojiZwjTail => {
                    match (self.at(i) == 0x200D).then(|| crate::emoji::pictograph(self, i + 1)) {
                        Some(Some(end)) => table[end] as usize,
                        _ => i,
                    }
                }
            };
            table[i] = end as u32;
        }
        table
    }

    fn build_next(&mut self, kind: Next) -> Vec<u32> {
        let n = self.len();
        self.steps += n as u64 + 1;
        let mut table = vec![ABSENT; n + 1];
        for i in (0..n).rev() {
            let here = match kind {
                Next::Dollar => self.is(i, b'$'),
                Next::DoubleDollar => self.lit(i, "$$"),
                Next::CloseParen => self.lit(i, "\\)"),
                Next::CloseBracket => self.lit(i, "\\]"),
            };
            table[i] = if here { i as u32 } else { table[i + 1] };
        }
        table
    }
}

/// `Whitespace / EndOfLine` starts here.
fn ends_word(c: u32) -> bool {
    is_space(c) || is_eol(c)
}

fn lookup(table: Option<&[u32]>, i: usize) -> usize {
    match table.and_then(|t| t.get(i)) {
        Some(&end) => end as usize,
        None => i,
    }
}
