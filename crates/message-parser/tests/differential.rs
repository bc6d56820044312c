//! Differential test: the corpus in tests/corpus/ and a few thousand seeded generated
//! messages go through this crate and through the npm package (one `node` process), and
//! the JSON must be identical, key order included.

mod common;

use std::path::PathBuf;

use common::{
    Rng, corpus_option_sets, generated_chars, generated_input, generated_option_sets,
    reference_parse,
};
use ferrochat_message_parser::{Options, parse};
use serde_json::Value;

/// Generated messages; with the corpus this keeps the test well under a minute.
const GENERATED: usize = 4000;

/// Corpus files: JSON lines, each a string (parsed with every corpus option set) or an
/// object `{"input": …, "options": …}`; lines starting with `//` are comments.
/// `FERROCHAT_MD_EXTRA` names one more file of the same format, to try inputs out.
fn corpus() -> Vec<(String, Options)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files.extend(std::env::var_os("FERROCHAT_MD_EXTRA").map(PathBuf::from));
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("corpus file");
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), no + 1));
            match value {
                Value::String(input) => {
                    for options in corpus_option_sets() {
                        cases.push((input.clone(), options));
                    }
                }
                Value::Object(ref obj) => {
                    let input = obj["input"].as_str().expect("input").to_owned();
                    let options: Options =
                        serde_json::from_value(obj.get("options").cloned().unwrap_or(Value::Null))
                            .unwrap_or_default();
                    cases.push((input, options));
                }
                _ => panic!(
                    "{}:{}: expected a string or an object",
                    file.display(),
                    no + 1
                ),
            }
        }
    }
    cases
}

/// `FERROCHAT_MD_GENERATED` and `FERROCHAT_MD_SEED` override the count and the seed, to
/// explore beyond what the suite runs.
fn generated() -> Vec<(String, Options)> {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let count = env("FERROCHAT_MD_GENERATED").map_or(GENERATED, |c| c as usize);
    let mut rng = Rng::new(env("FERROCHAT_MD_SEED").unwrap_or(0x5EED_F00D));
    let sets = generated_option_sets();
    (0..count)
        .map(|k| {
            let max = if k % 10 == 0 { 80 } else { 24 };
            let input = if k % 2 == 0 {
                generated_input(&mut rng, max)
            } else {
                generated_chars(&mut rng, max * 2)
            };
            (input, sets[k % sets.len()].clone())
        })
        .collect()
}

/// The reference's JSON for comparison: it throws on the empty string, where this crate
/// returns no blocks.
fn expected(input: &str, reference: &Value) -> Value {
    if input.is_empty() && reference.get("error").is_some() {
        return Value::Array(Vec::new());
    }
    reference.clone()
}

fn check(name: &str, cases: &[(String, Options)]) {
    let reference = reference_parse(cases);
    let mut failures = 0;
    for ((input, options), reference) in cases.iter().zip(&reference) {
        let want = serde_json::to_string(&expected(input, reference)).expect("json");
        let got = serde_json::to_string(&parse(input, options)).expect("json");
        if want != got {
            failures += 1;
            if failures <= 25 {
                eprintln!(
                    "MISMATCH ({name})\n  input:   {}\n  options: {}\n  npm:     {want}\n  rust:    {got}\n",
                    serde_json::to_string(input).expect("json"),
                    common::options_json(options),
                );
            }
        }
    }
    assert_eq!(
        failures,
        0,
        "{failures} of {} {name} inputs differ from the npm parser (first ones above)",
        cases.len()
    );
}

#[test]
fn corpus_matches_reference() {
    let cases = corpus();
    assert!(
        cases.len() >= 1000,
        "corpus too small: {} cases",
        cases.len()
    );
    check("corpus", &cases);
}

#[test]
fn generated_inputs_match_reference() {
    check("generated", &generated());
}
