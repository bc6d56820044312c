//! The `md` AST and `urls` the server stores with each message: equal to what the reference
//! parser (`@rocket.chat/message-parser`, run by node) gives with the options Rocket.Chat
//! derives from the settings, recomputed on edits, and following the KaTeX settings.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// The reference parser's AST for each input, with the given options.
fn reference(inputs: &[&str], options: &Value) -> Vec<Value> {
    let node = std::env::var("FERROCHAT_NODE").unwrap_or_else(|_| "node".into());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node");
    let mut child = Command::new(&node)
        .arg(dir.join("parse_md.js"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {node}: {e}; install node.js (scripts/test does)"));
    {
        let mut stdin = child.stdin.take().unwrap();
        for input in inputs {
            writeln!(stdin, "{}", json!({"input": input, "options": options})).unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the reference parser failed (run `npm ci` in {}): {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

async fn send(client: &Client, rid: &str, message: Value) -> Value {
    let mut message = message;
    message["rid"] = json!(rid);
    client
        .post_ok("/api/v1/chat.sendMessage", json!({"message": message}))
        .await["message"]
        .clone()
}

both_stores!(messages_carry_the_reference_ast, |server| async move {
    let admin = server.admin().await;
    let rid = admin
        .post_ok("/api/v1/channels.create", json!({"name": unique("md")}))
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inputs = [
        "**bold** _italic_ ~strike~ `code` https://example.com/a?b=1 :smile: :) @admin #general",
        "> quoted\n- item one\n- [x] done\n1. first\n\n```rust\nfn main() {}\n```",
        "# Heading\ncolor:#ff0000 and \\(x^2\\) and $y$ <t:1700000000:R> ||not a spoiler||",
        "😀😀 broken **markup _everywhere [link](https://rocket.chat \u{202e}rtl 中文",
    ];
    // Rocket.Chat's options with the default settings.
    let options = json!({"colors": true, "emoticons": true, "customDomains": [],
        "katex": {"dollarSyntax": false, "parenthesisSyntax": true}});
    let expected = reference(&inputs, &options);
    for (input, want) in inputs.iter().zip(&expected) {
        let sent = send(&admin, &rid, json!({"msg": input})).await;
        assert_eq!(&sent["md"], want, "md of {input:?}");
        let stored = admin
            .get_ok(
                "/api/v1/chat.getMessage",
                &[("msgId", sent["_id"].as_str().unwrap())],
            )
            .await;
        assert_eq!(&stored["message"]["md"], want);
    }

    // urls: http(s) links once each; none when the sender opts out.
    let sent = send(
        &admin,
        &rid,
        json!({"msg": "https://a.example.com and [b](https://b.example.org) and https://a.example.com"}),
    )
    .await;
    assert_eq!(
        sent["urls"],
        json!([{"url": "https://a.example.com"}, {"url": "https://b.example.org"}])
    );
    let quiet = send(
        &admin,
        &rid,
        json!({"msg": "https://a.example.com", "parseUrls": false}),
    )
    .await;
    assert!(quiet.get("urls").is_none(), "{quiet}");
    assert!(quiet["md"].is_array());

    // Edits recompute both.
    let edited = admin
        .post_ok(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": sent["_id"], "text": "now *plain*"}),
        )
        .await["message"]
        .clone();
    assert_eq!(edited["md"], reference(&["now *plain*"], &options)[0]);
    assert!(edited.get("urls").is_none(), "{edited}");

    // KaTeX off: formulas stay text.
    admin
        .post_ok("/api/v1/settings/Katex_Enabled", json!({"value": false}))
        .await;
    let plain = send(&admin, &rid, json!({"msg": "\\(x^2\\)"})).await;
    let no_katex = json!({"colors": true, "emoticons": true, "customDomains": []});
    assert_eq!(plain["md"], reference(&["\\(x^2\\)"], &no_katex)[0]);
    assert!(
        !plain["md"].to_string().contains("KATEX"),
        "{}",
        plain["md"]
    );
});
