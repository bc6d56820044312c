//! Prints the `md` AST of each argument: `cargo run --example md -- '*hello* @world'`.
//! Options come from the environment variable `MD_OPTIONS` (the npm options JSON).

fn main() {
    let options = std::env::var("MD_OPTIONS")
        .ok()
        .and_then(|o| serde_json::from_str(&o).ok())
        .unwrap_or_default();
    for text in std::env::args().skip(1) {
        let (ast, steps) = ferrochat_message_parser::parse_with_stats(&text, &options);
        println!(
            "{} => {ast} ({steps} steps)",
            serde_json::to_string(&text).unwrap_or_default()
        );
    }
}
