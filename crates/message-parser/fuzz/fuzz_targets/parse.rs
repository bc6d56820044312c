//! Parses arbitrary UTF-8 with arbitrary options: must not panic, must return a JSON
//! array, and must stay within the linear work bound the test suite also checks.

#![no_main]

use arbitrary::Arbitrary;
use ferrochat_message_parser::{KatexOptions, Options, STEPS_PER_UNIT, STEPS_SLACK, parse_with_stats};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    text: String,
    colors: bool,
    emoticons: bool,
    katex: Option<(bool, bool)>,
    custom_domains: Vec<String>,
}

fuzz_target!(|case: Case| {
    let options = Options {
        colors: case.colors,
        emoticons: case.emoticons,
        katex: case.katex.map(|(dollar_syntax, parenthesis_syntax)| KatexOptions { dollar_syntax, parenthesis_syntax }),
        // Server configuration, not message content: a handful is realistic.
        custom_domains: case.custom_domains.into_iter().take(4).collect(),
    };
    let units = case.text.encode_utf16().count() as u64;
    let (ast, steps) = parse_with_stats(&case.text, &options);
    assert!(ast.is_array());
    let bound = STEPS_PER_UNIT * (units + 1) + STEPS_SLACK;
    assert!(steps <= bound, "{steps} steps for {units} code units (bound {bound})");
});
