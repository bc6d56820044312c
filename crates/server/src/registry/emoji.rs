//! The standard emoji a reaction may use.

use super::emoji_names::EMOJI_NAMES;

/// Whether `name` (without colons) is a standard emoji shortname.
pub fn is_standard(name: &str) -> bool {
    EMOJI_NAMES.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_knows_common_names() {
        assert!(EMOJI_NAMES.windows(2).all(|w| w[0] < w[1]));
        for name in ["smile", "+1", "thumbsup", "heart", "tada", "flag_de"] {
            assert!(is_standard(name), "{name}");
        }
        assert!(!is_standard("definitely_not_an_emoji"));
        assert!(!is_standard(":smile:"));
    }
}
