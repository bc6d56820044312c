//! Recognisers for the grammar's leaf tokens: URLs, e-mail addresses, phone numbers,
//! mentions, timestamps, inline code, colours, KaTeX and the like. Each returns where the
//! token ends (and whatever the AST builder needs to tell alternatives apart); none looks
//! at more than a constant number of code units besides O(1) run-table lookups.

use crate::input::{
    Input, Next, Run, domain_char_len, is_alnum_char, is_any_text, is_digit, is_eol, is_hex,
    is_local_start,
};

/// `Whitespace = [ \t]+`.
pub(crate) fn whitespace(input: &mut Input, i: usize) -> Option<usize> {
    let end = input.run_end(Run::Space, i);
    (end > i).then_some(end)
}

/// `EndOfLine = "\r\n" / "\n" / "\r"`.
pub(crate) fn eol(input: &Input, i: usize) -> Option<usize> {
    if input.lit(i, "\r\n") {
        Some(i + 2)
    } else if is_eol(input.at(i)) {
        Some(i + 1)
    } else {
        None
    }
}

/// `Timestamp = "<t:" Digit{10} (":" [tTdDfFR])? ">"`: end and format.
pub(crate) fn timestamp(input: &Input, i: usize) -> Option<(usize, char)> {
    if !input.lit(i, "<t:") || !(i + 3..i + 13).all(|k| is_digit(input.at(k))) {
        return None;
    }
    let q = i + 13;
    if input.is(q, b':') && input.is(q + 2, b'>') {
        let format = char::from_u32(input.at(q + 1)).filter(|c| "tTdDfFR".contains(*c));
        if let Some(format) = format {
            return Some((q + 3, format));
        }
    }
    input.is(q, b'>').then_some((q + 1, 't'))
}

/// `DomainName = "localhost" / DomainChar+ ("." DomainChar+)+`.
pub(crate) fn domain_name(input: &mut Input, i: usize) -> Option<usize> {
    if input.lit(i, "localhost") {
        return Some(i + 9);
    }
    if domain_char_len(input.at(i), input.at(i + 1)) == 0 {
        return None;
    }
    let label_end = input.run_end(Run::DomainChar, i);
    let end = input.chain_end(crate::input::Chain::DomainTail, label_end);
    (end > label_end).then_some(end)
}

/// `URLScheme = [A-Za-z0-9+-]{1,32} ":"`.
fn scheme(input: &mut Input, i: usize) -> Option<usize> {
    // The repetition is greedy up to 32 characters: a longer run has no scheme.
    let len = (input.run_end(Run::Scheme, i) - i).min(32);
    (len > 0 && input.is(i + len, b':')).then_some(i + len + 1)
}

/// `URLAuthorityHost = DomainName (":" Digits)?` (its dotted-quad alternative is never
/// reached: a dotted quad is a domain name already).
fn host(input: &mut Input, i: usize) -> Option<usize> {
    let end = domain_name(input, i)?;
    if input.is(end, b':') && is_digit(input.at(end + 1)) {
        return Some(input.run_end(Run::Digit, end + 1));
    }
    Some(end)
}

/// `URLAuthority = "//" (user (":" password)? "@")? URLAuthorityHost`.
fn authority(input: &mut Input, i: usize) -> Option<usize> {
    if !input.lit(i, "//") {
        return None;
    }
    let mut q = i + 2;
    let user = input.run_end(Run::UserInfo, q);
    if user > q {
        let mut end = user;
        if input.is(user, b':') {
            let password = input.run_end(Run::UserInfo, user + 1);
            if password > user + 1 {
                end = password;
            }
        }
        if input.is(end, b'@') {
            q = end + 1;
        }
    }
    host(input, q)
}

/// `URL`: a scheme with an authority, or a bare host, then `URLBody*`.
pub(crate) fn url(input: &mut Input, i: usize) -> Option<usize> {
    if let Some(s) = scheme(input, i)
        && let Some(a) = authority(input, s)
    {
        return Some(input.run_end(Run::UrlBody, a));
    }
    let h = host(input, i)?;
    Some(input.run_end(Run::UrlBody, h))
}

/// `AutoLinkURL`: like [`url`] with the more permissive `AutoLinkURLBody`.
pub(crate) fn autolink_url(input: &mut Input, i: usize) -> Option<usize> {
    if let Some(s) = scheme(input, i)
        && let Some(a) = authority(input, s)
    {
        return Some(input.run_end(Run::AutoLinkBody, a));
    }
    let h = host(input, i)?;
    Some(input.run_end(Run::AutoLinkBody, h))
}

/// `FilePath = URLScheme URLBody+`.
fn file_path(input: &mut Input, i: usize) -> Option<usize> {
    let s = scheme(input, i)?;
    let end = input.run_end(Run::UrlBody, s);
    (end > s).then_some(end)
}

/// `Phone = "+" PhoneNumber`; the number is the digits of the matched text.
pub(crate) fn phone(input: &mut Input, i: usize) -> Option<usize> {
    if !input.is(i, b'+') {
        return None;
    }
    let q = i + 1;
    let digits = |input: &mut Input, at: usize| {
        is_digit(input.at(at)).then(|| input.run_end(Run::Digit, at))
    };
    // PhonePrefix = Digits / "(" Digits ")"
    let prefix = match digits(input, q) {
        Some(end) => Some(end),
        None if input.is(q, b'(') => digits(input, q + 1)
            .filter(|&e| input.is(e, b')'))
            .map(|e| e + 1),
        None => None,
    };
    if let Some(p) = prefix {
        if input.is(p, b'-')
            && let Some(end) = digits(input, p + 1)
        {
            return Some(end);
        }
        if let Some(d1) = digits(input, p) {
            if input.is(d1, b'-')
                && let Some(end) = digits(input, d1 + 1)
            {
                return Some(end);
            }
            return Some(d1);
        }
    }
    digits(input, q)
}

/// What `LinkRef = URL / FilePath / Phone` matched.
#[derive(Clone, Copy)]
pub(crate) enum LinkRef {
    /// URL or file path: the href is the text.
    Text,
    /// Phone: the href is `tel:` and the digits.
    Phone,
}

pub(crate) fn link_ref(input: &mut Input, i: usize) -> Option<(usize, LinkRef)> {
    if let Some(end) = url(input, i).or_else(|| file_path(input, i)) {
        return Some((end, LinkRef::Text));
    }
    phone(input, i).map(|end| (end, LinkRef::Phone))
}

/// `Email = "mailto:"? LocalPart "@" DomainName`: end and start of the address.
pub(crate) fn email(input: &mut Input, i: usize) -> Option<(usize, usize)> {
    let q = if input.lit(i, "mailto:") { i + 7 } else { i };
    if !is_local_start(input.at(q)) {
        return None;
    }
    let piece = input.run_end(Run::LocalPart, q);
    let local = input.chain_end(crate::input::Chain::LocalTail, piece);
    if !input.is(local, b'@') {
        return None;
    }
    domain_name(input, local + 1).map(|end| (end, q))
}

/// What a mention rule matched.
pub(crate) enum Mention {
    /// `Text "@"+ AlphaNumericChar` (or `Text "#" …`): plain text of the first code unit,
    /// one sigil and the code unit at the given index.
    Glued(usize),
    /// A real mention whose name starts at the given index.
    Name(usize),
}

/// `UserMention`.
pub(crate) fn user_mention(input: &mut Input, i: usize) -> Option<(usize, Mention)> {
    if is_any_text(input.at(i)) && input.is(i + 1, b'@') {
        let after = input.run_end(Run::At, i + 1);
        if is_alnum_char(input.at(after)) {
            return Some((after + 1, Mention::Glued(after)));
        }
    }
    if !input.is(i, b'@') {
        return None;
    }
    let name = input.run_end(Run::At, i);
    let first = input.run_end(Run::Name, name);
    if first == name {
        return None;
    }
    let c = input.at(first);
    if c == u32::from(b':') || c == u32::from(b'@') {
        let second = input.run_end(Run::Name, first + 1);
        if second > first + 1 {
            return Some((second, Mention::Name(name)));
        }
    }
    Some((first, Mention::Name(name)))
}

/// `ChannelMention`.
pub(crate) fn channel_mention(input: &mut Input, i: usize) -> Option<(usize, Mention)> {
    if is_any_text(input.at(i)) && input.is(i + 1, b'#') && is_alnum_char(input.at(i + 2)) {
        return Some((i + 3, Mention::Glued(i + 2)));
    }
    if !input.is(i, b'#') {
        return None;
    }
    let end = input.run_end(Run::Name, i + 1);
    (end > i + 1).then_some((end, Mention::Name(i + 1)))
}

/// `InlineCode = "`" [^`\n]+ "`"`.
pub(crate) fn inline_code(input: &mut Input, i: usize) -> Option<usize> {
    if !input.is(i, b'`') {
        return None;
    }
    let end = input.run_end(Run::CodeSpan, i + 1);
    (end > i + 1 && input.is(end, b'`')).then_some(end + 1)
}

/// `Line = [ \t]* AnyText+ [ \t]*`.
pub(crate) fn line(input: &mut Input, i: usize) -> Option<usize> {
    let head = input.run_end(Run::Space, i);
    let text = input.run_end(Run::AnyText, head);
    (text > head).then(|| input.run_end(Run::Space, text))
}

/// What `Image = "![" Line? "](" LinkRef ")"` matched.
pub(crate) struct Image {
    pub(crate) end: usize,
    /// End of the title (`Line`), if any; it starts two units after the `![`.
    pub(crate) title_end: Option<usize>,
    pub(crate) href: (usize, usize, LinkRef),
}

pub(crate) fn image(input: &mut Input, i: usize) -> Option<Image> {
    if !input.lit(i, "![") {
        return None;
    }
    let title_end = line(input, i + 2);
    let q = title_end.unwrap_or(i + 2);
    if !input.lit(q, "](") {
        return None;
    }
    let (r, kind) = link_ref(input, q + 2)?;
    input.is(r, b')').then_some(Image {
        end: r + 1,
        title_end,
        href: (q + 2, r, kind),
    })
}

/// `Color = "color:#" (HexByte{3,4} / HexNible{3,4}) !AnyText` (option checked by the
/// caller): end and RGBA.
pub(crate) fn color(input: &Input, i: usize) -> Option<(usize, [u8; 4])> {
    if !input.lit(i, "color:#") {
        return None;
    }
    let q = i + 7;
    let hex = |k: usize| {
        char::from_u32(input.at(k))
            .and_then(|c| c.to_digit(16))
            .map_or(0, |d| d as u8)
    };
    let bytes = (0..4)
        .take_while(|&k| is_hex(input.at(q + 2 * k)) && is_hex(input.at(q + 2 * k + 1)))
        .count();
    let (end, rgba) = if bytes >= 3 {
        let byte = |k: usize| hex(q + 2 * k) * 16 + hex(q + 2 * k + 1);
        let a = if bytes == 4 { byte(3) } else { 255 };
        (q + 2 * bytes, [byte(0), byte(1), byte(2), a])
    } else {
        let nibbles = (0..4).take_while(|&k| is_hex(input.at(q + k))).count();
        if nibbles < 3 {
            return None;
        }
        let nibble = |k: usize| hex(q + k) * 17;
        let a = if nibbles == 4 { nibble(3) } else { 255 };
        (q + nibbles, [nibble(0), nibble(1), nibble(2), a])
    };
    (!is_any_text(input.at(end))).then_some((end, rgba))
}

/// Delimited KaTeX, block (`\[ \]`, `$$ $$`) or inline (`\( \)`, `$ $`): end and the
/// content's range. Either closing delimiter ends either opening one.
pub(crate) fn katex(
    input: &mut Input,
    i: usize,
    block: bool,
    paren: bool,
    dollar: bool,
) -> Option<(usize, usize, usize)> {
    let (open_paren, open_dollar) = if block { ("\\[", "$$") } else { ("\\(", "$") };
    let start = if paren && input.lit(i, open_paren) {
        i + 2
    } else if dollar && input.lit(i, open_dollar) {
        i + open_dollar.len()
    } else {
        return None;
    };
    let (close_paren, close_dollar) = if block {
        (Next::CloseBracket, Next::DoubleDollar)
    } else {
        (Next::CloseParen, Next::Dollar)
    };
    let at_paren = if paren {
        input.next(close_paren, start)
    } else {
        None
    };
    let at_dollar = if dollar {
        input.next(close_dollar, start)
    } else {
        None
    };
    let (close, len) = match (at_paren, at_dollar) {
        (Some(p), Some(d)) if p <= d => (p, 2),
        (_, Some(d)) => (d, open_dollar.len()),
        (Some(p), None) => (p, 2),
        (None, None) => return None,
    };
    Some((close + len, start, close))
}

/// `Escaped = "\\" [*_~`#.]`.
pub(crate) fn escaped(input: &Input, i: usize) -> Option<usize> {
    let c = char::from_u32(input.at(i + 1));
    (input.is(i, b'\\') && matches!(c, Some('*' | '_' | '~' | '`' | '#' | '.'))).then_some(i + 2)
}

/// `EmphasisWithWhitespace`: `*** ***`-like runs around whitespace, kept as text.
pub(crate) fn emphasis_with_whitespace(input: &mut Input, i: usize) -> Option<usize> {
    let (marker, run) = match char::from_u32(input.at(i)) {
        Some('*') => (b'*', Run::Star),
        Some('_') => (b'_', Run::Underscore),
        Some('~') => (b'~', Run::Tilde),
        _ => return None,
    };
    let first = input.run_end(run, i);
    let space = input.run_end(Run::Space, first);
    (space > first && input.is(space, marker)).then(|| input.run_end(run, space))
}

/// `Any = !EndOfLine . $AutolinkedPhone? $URL?`: one code unit and whatever phone number
/// and URL directly follow it, all as text.
pub(crate) fn any(input: &mut Input, i: usize) -> Option<usize> {
    if i >= input.len() || is_eol(input.at(i)) {
        return None;
    }
    let mut q = i + 1;
    if let Some(end) = phone(input, q) {
        q = end;
    }
    Some(url(input, q).unwrap_or(q))
}
