//! Linear time, checked by counting work instead of timing: the parser reports the steps
//! it took (code units examined by tables, rules and AST building) and every input here,
//! adversarial or generated, must stay within `STEPS_PER_UNIT` (250) steps per UTF-16
//! code unit. A quadratic path would blow through it by orders of magnitude at these sizes.
//! Also checks that nothing panics.

mod common;

use common::{Rng, generated_chars, generated_input, generated_option_sets};
use ferrochat_message_parser::{
    KatexOptions, Options, STEPS_PER_UNIT, STEPS_SLACK, parse_with_stats,
};

fn all_options() -> Options {
    Options {
        colors: true,
        emoticons: true,
        katex: Some(KatexOptions {
            dollar_syntax: true,
            parenthesis_syntax: true,
        }),
        custom_domains: vec!["intranet".into()],
    }
}

fn check(label: &str, text: &str, options: &Options) -> u64 {
    let (ast, steps) = parse_with_stats(text, options);
    assert!(ast.is_array(), "{label}: not an array");
    let units = text.encode_utf16().count() as u64;
    let bound = STEPS_PER_UNIT * (units + 1) + STEPS_SLACK;
    assert!(
        steps <= bound,
        "{label}: {steps} steps for {units} code units (bound {bound})"
    );
    steps
}

/// Length of the adversarial inputs the brief singles out (runs of markers, nested
/// quotes, unclosed links) and of the others; a quadratic path at 10 000 code units would
/// already take thousands of steps per unit.
const LONG: usize = 100_000;
const MEDIUM: usize = 10_000;

/// Patterns repeated to [`LONG`] code units; every other pattern goes to [`MEDIUM`].
const LONG_PATTERNS: &[&str] = &["*", "_", "~", "[", "`", ":", "> *a\n", "[a](http://x.com"];

fn repeat_to(pattern: &str, units: usize) -> String {
    let per = pattern.encode_utf16().count().max(1);
    pattern.repeat(units / per + 1)
}

fn adversarial() -> Vec<(String, String)> {
    let patterns: &[&str] = &[
        "*",
        "**",
        "_",
        "__",
        "~",
        "~~",
        "[",
        "](",
        "`",
        "```",
        ":",
        "@",
        "#",
        "<",
        "<t:",
        "\\",
        "\\(",
        "\\[",
        "$",
        "$$",
        "a",
        "a_",
        "_a",
        "*a",
        "~a",
        "a*",
        "a ",
        "aa_",
        "[a",
        "[*a",
        "[_a",
        "[~a",
        "*_~[",
        "*[_~`",
        "_*~[a ",
        "> ",
        ">",
        "> *a\n",
        "- ",
        "- [ ] ",
        "1. ",
        "* ",
        "* a\n",
        "* *",
        "# ",
        "\n",
        "\r\n",
        " \n",
        "a\n",
        "x.",
        "a.b",
        "a-",
        "a-b.",
        "_-",
        "a@",
        "a@b",
        "a@b.",
        "a.b@c",
        "+1",
        "+(1)",
        "+1-",
        "http://",
        "http://a",
        "http://a.b/",
        "a.com/",
        "a.com.",
        "www.a.com ",
        "mailto:",
        "mailto:a@b.com ",
        ":a:",
        "::",
        ":a",
        ":)",
        ":-",
        "<3",
        "-_-",
        "😀",
        "🌀\u{200d}",
        "🌀\u{200d}🌀",
        "🤔🌀",
        "🇧",
        "\u{200d}",
        "color:#",
        "color:#fff",
        "![",
        "![a](",
        "[a](http://x.com",
        "<http://x.com|",
        "<http://x.com|a",
        "`a",
        "``",
        "*a _b ~c [d `e",
        "**a __b ~~c",
        "[**",
        "[__",
        "[~~",
        "_*",
        "*_",
        "~*_",
        "@a:b@c:",
        "#a#",
        "a#b",
        "&amp;",
        "日本語",
        "مرحبا ",
        "😀@a ",
        "𝒜@x",
        "a_b_",
        "__a__b",
        "_a_b",
        "*a*b",
        "~a~b",
        "[a]( ",
        "[a](b",
        "](x)",
        "$a",
        "\\(a",
        "\\[a\n",
    ];
    let mut inputs = Vec::new();
    for pattern in patterns
        .iter()
        .filter(|p| !LONG_PATTERNS.contains(p))
        .chain(LONG_PATTERNS)
    {
        let size = if LONG_PATTERNS.contains(pattern) {
            LONG
        } else {
            MEDIUM
        };
        inputs.push((format!("repeat {pattern:?}"), repeat_to(pattern, size)));
    }
    // Unclosed openers followed by a long tail of text, and nesting towers.
    for opener in [
        "*", "_", "~", "[", "`", "<", "$", "\\(", "**", "__", "~~", "![", "[*", "*_~[", "```\n",
    ] {
        let mut text = opener.repeat(MEDIUM / 2 / opener.len());
        text.push_str(&"word ".repeat(MEDIUM / 2 / 5));
        inputs.push((format!("unclosed {opener:?}"), text.clone()));
        inputs.push((
            format!("unclosed {opener:?} on lines"),
            text.replace(' ', "\n"),
        ));
    }
    let mut tower = String::new();
    for _ in 0..MEDIUM / 4 {
        tower.push_str("*_~[");
    }
    inputs.push(("tower".into(), tower));
    let mut quotes = String::new();
    for k in 0..LONG / 8 {
        quotes.push_str(&">".repeat(k % 7 + 1));
        quotes.push_str(" q\n");
    }
    inputs.push(("nested quotes".into(), quotes));
    let mut links = String::new();
    for _ in 0..LONG / 19 {
        links.push_str("[a *b [c](http://x ");
    }
    inputs.push(("unclosed links".into(), links));
    inputs
}

#[test]
fn adversarial_inputs_take_linear_steps() {
    // Every feature on opens the most paths; the defaults run on every third input.
    let mut worst = 0.0f64;
    for (k, (label, text)) in adversarial().into_iter().enumerate() {
        let options = if k % 3 == 0 {
            Options::default()
        } else {
            all_options()
        };
        let steps = check(&label, &text, &options);
        worst = worst.max(steps as f64 / text.encode_utf16().count().max(1) as f64);
    }
    eprintln!("worst adversarial steps per code unit: {worst:.1}");
}

#[test]
fn generated_inputs_take_linear_steps() {
    let mut rng = Rng::new(0xBAD_5EED);
    let sets = generated_option_sets();
    let mut worst = 0.0f64;
    for k in 0..3000 {
        let text = if k % 2 == 0 {
            generated_input(&mut rng, 200)
        } else {
            generated_chars(&mut rng, 400)
        };
        let steps = check(&format!("generated #{k}"), &text, &sets[k % sets.len()]);
        worst = worst.max(steps as f64 / text.encode_utf16().count().max(1) as f64);
    }
    eprintln!("worst generated steps per code unit: {worst:.1}");
    // Long generated messages.
    for k in 0..8 {
        let text: String = (0..400).map(|_| generated_input(&mut rng, 30)).collect();
        check(
            &format!("long generated #{k}"),
            &text,
            &sets[k % sets.len()],
        );
    }
}

#[test]
fn doubling_the_input_doubles_the_steps() {
    // A quadratic path shows as a ratio near 4.
    for pattern in [
        "*a _b ",
        "aaaa",
        "[*_~",
        "a_b_",
        "@@@@",
        "😀\u{200d}",
        "x.y-",
        "<t:1",
    ] {
        let small = repeat_to(pattern, 20_000);
        let large = repeat_to(pattern, 40_000);
        let (_, s1) = parse_with_stats(&small, &all_options());
        let (_, s2) = parse_with_stats(&large, &all_options());
        let ratio = s2 as f64 / s1 as f64;
        assert!(ratio < 2.5, "{pattern:?}: {s1} -> {s2} steps (x{ratio:.2})");
    }
}

#[test]
fn arbitrary_code_points_with_arbitrary_options() {
    // Like the fuzz target, on stable: any Unicode scalar value, any option combination.
    let mut rng = Rng::new(0xF022);
    for k in 0..2000 {
        let len = rng.below(120);
        let text: String = (0..len)
            .map(|_| {
                let cp = match rng.below(4) {
                    0 => rng.below(0x80) as u32,
                    1 => rng.below(0x800) as u32,
                    2 => rng.below(0x1_0000) as u32,
                    _ => rng.below(0x11_0000) as u32,
                };
                char::from_u32(cp).unwrap_or('\u{FFFD}')
            })
            .collect();
        let bits = rng.next();
        let options = Options {
            colors: bits & 1 != 0,
            emoticons: bits & 2 != 0,
            katex: (bits & 4 != 0).then_some(KatexOptions {
                dollar_syntax: bits & 8 != 0,
                parenthesis_syntax: bits & 16 != 0,
            }),
            custom_domains: if bits & 32 != 0 {
                vec![text.chars().take(5).collect()]
            } else {
                Vec::new()
            },
        };
        check(&format!("arbitrary #{k}"), &text, &options);
    }
}
