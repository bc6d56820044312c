//! Wall-clock sanity check of linearity (not part of the test suite): prints the time per
//! code unit for runs of a pattern at two sizes. `cargo run --release --example timing`.

use ferrochat_message_parser::{KatexOptions, Options, parse_with_stats};

fn main() {
    let options = Options {
        colors: true,
        emoticons: true,
        katex: Some(KatexOptions {
            dollar_syntax: true,
            parenthesis_syntax: true,
        }),
        custom_domains: vec!["intranet".into()],
    };
    let patterns: Vec<String> = std::env::args().skip(1).collect();
    for pattern in patterns {
        for size in [50_000usize, 200_000] {
            let text = pattern.repeat(size / pattern.len().max(1) + 1);
            let start = std::time::Instant::now();
            let (_, steps) = parse_with_stats(&text, &options);
            let elapsed = start.elapsed();
            println!(
                "{pattern:?} x{size}: {:?} ({:.1} ns/unit, {:.1} steps/unit)",
                elapsed,
                elapsed.as_nanos() as f64 / text.len() as f64,
                steps as f64 / text.len() as f64
            );
        }
    }
}
