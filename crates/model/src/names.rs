//! Room and user name rules (`UTF8_Channel_Names_Validation`, `UTF8_User_Names_Validation`).

use regex::Regex;

/// Rocket.Chat's default pattern for both channel names and usernames.
pub const DEFAULT_NAME_PATTERN: &str = "[0-9a-zA-Z-_.]+";

/// A compiled name rule. The setting holds a pattern without anchors; a name is valid when
/// the whole name matches it.
#[derive(Debug, Clone)]
pub struct NameRule {
    regex: Regex,
}

impl NameRule {
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            regex: Regex::new(&format!("^(?:{pattern})$"))?,
        })
    }

    pub fn default_rule() -> Self {
        Self::new(DEFAULT_NAME_PATTERN).expect("the default name pattern compiles")
    }

    pub fn is_valid(&self, name: &str) -> bool {
        !name.is_empty() && name.chars().count() <= 255 && self.regex.is_match(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rule() {
        let rule = NameRule::default_rule();
        assert!(rule.is_valid("general"));
        assert!(rule.is_valid("dev-team_2.0"));
        assert!(!rule.is_valid("has space"));
        assert!(!rule.is_valid("emoji🚀"));
        assert!(!rule.is_valid(""));
        assert!(!rule.is_valid("a/b"));
    }
}
