//! Mentions in message text: `@username`, `@all`, `@here` and `#channel`. A mention starts
//! at the beginning of the text or after a character that cannot be part of a name, and
//! runs over name characters (`[0-9A-Za-z-_.]` and any non-ASCII letter).

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mentions {
    /// Usernames mentioned, in order of first appearance, without duplicates.
    pub users: Vec<String>,
    pub all: bool,
    pub here: bool,
    /// Channel names mentioned with `#`.
    pub channels: Vec<String>,
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Scans text for mentions, skipping code spans and blocks.
pub fn extract(text: &str) -> Mentions {
    let mut found = Mentions::default();
    let mut prev: Option<char> = None;
    let mut in_code = false;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == '`' {
            in_code = !in_code;
            prev = Some(c);
            continue;
        }
        let at_boundary = prev.is_none_or(|p| !is_name_char(p) && p != '@' && p != '#');
        if !in_code && at_boundary && (c == '@' || c == '#') {
            let rest = &text[index + 1..];
            let name: String = rest.chars().take_while(|&ch| is_name_char(ch)).collect();
            // A trailing dot ends a sentence rather than a name.
            let name = name.trim_end_matches('.').to_owned();
            if !name.is_empty() {
                let list = if c == '@' {
                    match name.as_str() {
                        "all" => {
                            found.all = true;
                            None
                        }
                        "here" => {
                            found.here = true;
                            None
                        }
                        _ => Some(&mut found.users),
                    }
                } else {
                    Some(&mut found.channels)
                };
                if let Some(list) = list
                    && !list.iter().any(|n| n == &name)
                {
                    list.push(name.clone());
                }
                for _ in 0..name.chars().count() {
                    chars.next();
                }
                prev = name.chars().last();
                continue;
            }
        }
        prev = Some(c);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_users_groups_and_channels() {
        let m = extract("hi @alice and @bob.smith, see #dev. @all @alice");
        assert_eq!(m.users, vec!["alice", "bob.smith"]);
        assert_eq!(m.channels, vec!["dev"]);
        assert!(m.all);
        assert!(!m.here);
    }

    #[test]
    fn ignores_emails_and_code() {
        let m = extract("mail me at me@example.com, `@notme` @here");
        assert!(m.users.is_empty());
        assert!(m.here);
    }
}
