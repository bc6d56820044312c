//! Shared by the test files: option sets, the seeded input generator and the reference
//! runner (the npm package in a single `node` process).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ferrochat_message_parser::{KatexOptions, Options};
use serde_json::Value;

/// Options every corpus input is parsed with: the defaults, and everything switched on
/// (as a Rocket.Chat server with KaTeX, emoticons and colour previews enabled would).
pub fn corpus_option_sets() -> Vec<Options> {
    vec![
        Options::default(),
        Options {
            colors: true,
            emoticons: true,
            katex: Some(KatexOptions {
                dollar_syntax: true,
                parenthesis_syntax: true,
            }),
            custom_domains: vec!["intranet".into(), "corp.local".into()],
        },
    ]
}

/// Options the generated inputs rotate through.
pub fn generated_option_sets() -> Vec<Options> {
    let mut sets = corpus_option_sets();
    sets.push(Options {
        emoticons: true,
        katex: Some(KatexOptions {
            dollar_syntax: false,
            parenthesis_syntax: true,
        }),
        ..Options::default()
    });
    sets.push(Options {
        colors: true,
        katex: Some(KatexOptions {
            dollar_syntax: true,
            parenthesis_syntax: false,
        }),
        custom_domains: vec!["localdomain".into()],
        ..Options::default()
    });
    sets
}

/// xorshift64*: deterministic, dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Markup tokens and words that generated messages are assembled from.
#[rustfmt::skip]
pub const TOKENS: &[&str] = &[
    "*", "**", "_", "__", "~", "~~", "`", "```", "[", "]", "](", "(", ")", "<", ">", "|", "!", "![", ":", "@", "#",
    "\n", "\n", "\r\n", "\r", " ", " ", " ", "\t", "- ", "* ", "- [x] ", "- [ ] ", "1. ", "10. ", "> ", "# ", "## ",
    "#### ", "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\", "\\*", "<t:1630360800:R>", "<t:1630360800>", "color:#ff0",
    "color:#ff000080", ":smile:", ":+1:", ":)", ":D", "<3", ";)", "-_-", "8)", "😀", "👍🏽", "🇧🇷", "👨‍👩‍👧", "❤️", "🤔",
    "http://", "https://rocket.chat/path?x=1&y=(2)", "www.example.com", "example.com", "rocket.chat", "foo@bar.com",
    "mailto:", "+55 11 99999-9999", "+1234567", "+(12)345-678", "localhost:3000", "intranet", "a.intranet",
    "ftp://user:pw@host.org/x", "@user", "@user@server.org", "#general", "#", "@", "hello", "world", "abc", "x",
    "y", "Foo", "123", "2024", "日本語", "مرحبا", "שלום", "é", "naïve", "Ωμέγα", "😀😀", "\u{200d}", "\u{fe0f}", ".",
    ",", "?", "=", "'", "\"", "%", "&", "^", "{", "}", "snake_case", "__init__", "a_b_c", "x*y*z", "~tilde~",
    "`code`", "[link](https://example.com)", "<https://example.com|label>", "![img](https://example.com/a.png)",
];

/// A seeded message of up to `max_tokens` tokens.
pub fn generated_input(rng: &mut Rng, max_tokens: usize) -> String {
    let count = 1 + rng.below(max_tokens);
    let mut text = String::new();
    for _ in 0..count {
        text.push_str(rng.pick(TOKENS));
    }
    text
}

/// Single code points, weighted towards the ones the grammar cares about.
#[rustfmt::skip]
const CHARS: &[&str] = &[
    "*", "_", "~", "`", "[", "]", "(", ")", "<", ">", "|", "!", ":", "@", "#", "$", "\\", "+", "-", ".", ",", "/",
    "'", "\"", "=", "%", "&", "?", "^", "{", "}", ";", " ", " ", "\t", "\n", "\r", "a", "b", "x", "t", "D", "O",
    "P", "0", "1", "3", "8", "9", "é", "ß", "ü", "日", "ع", "א", "\u{300}", "\u{200d}", "\u{fe0f}", "\u{a0}",
    "\u{2028}", "😀", "🏽", "🇧", "🤔", "❤", "☀", "⌚", "🚀", "𝒜", "\u{1f300}", "\u{1f5ff}", "\u{feff}", "\u{0}",
    "\u{7f}", "Þ",
];

/// A seeded message of up to `max_chars` code points drawn from [`CHARS`].
pub fn generated_chars(rng: &mut Rng, max_chars: usize) -> String {
    let count = 1 + rng.below(max_chars);
    (0..count).map(|_| rng.pick(CHARS)).collect()
}

pub fn options_json(options: &Options) -> Value {
    serde_json::to_value(options).expect("options serialize")
}

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/node")
}

const REFERENCE_VERSION: &str = "0.31.32";

/// Runs every `(input, options)` through `parse` of the npm package in one `node`
/// process and returns the JSON results in order (`{"error": …}` where it throws).
/// Panics, with instructions, when node or the package is missing.
pub fn reference_parse(cases: &[(String, Options)]) -> Vec<Value> {
    let dir = node_dir();
    let pkg = dir.join("node_modules/@rocket.chat/message-parser/package.json");
    let hint =
        "run `npm ci` in tests/clients/node (scripts/test does it) to install the reference parser";
    let manifest = std::fs::read_to_string(&pkg)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): {hint}", pkg.display()));
    let manifest: Value = serde_json::from_str(&manifest).expect("package.json is JSON");
    assert_eq!(
        manifest["version"].as_str(),
        Some(REFERENCE_VERSION),
        "installed @rocket.chat/message-parser is not {REFERENCE_VERSION}: {hint}"
    );
    let node = std::env::var("FERROCHAT_NODE").unwrap_or_else(|_| "node".into());
    let mut child = Command::new(&node)
        .arg(dir.join("parse_md.js"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `{node}` ({e}): install Node.js (or set FERROCHAT_NODE) and {hint}")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: Vec<String> = cases
        .iter()
        .map(|(input, options)| {
            serde_json::json!({ "input": input, "options": options_json(options) }).to_string()
        })
        .collect();
    let writer = std::thread::spawn(move || {
        for line in lines {
            stdin.write_all(line.as_bytes()).expect("write to node");
            stdin.write_all(b"\n").expect("write to node");
        }
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut results = Vec::with_capacity(cases.len());
    for line in stdout.lines() {
        let line = line.expect("read from node");
        let value = serde_json::from_str(&line)
            .unwrap_or_else(|e| Value::String(format!("unparsable: {e}: {line}")));
        results.push(value);
    }
    writer.join().expect("writer thread");
    let status = child.wait().expect("node exit");
    assert!(status.success(), "node exited with {status}: {hint}");
    assert_eq!(
        results.len(),
        cases.len(),
        "node answered {} of {} inputs",
        results.len(),
        cases.len()
    );
    results
}
