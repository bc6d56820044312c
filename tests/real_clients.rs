//! Real JavaScript Rocket.Chat clients against the real binary, on both stores: each test runs
//! one script of `tests/clients/node/` with `node` and asserts it exits 0.
//!
//! - `simpleddp_stream.js`: a generic DDP client (npm `simpleddp`, DDP "1", digest login)
//!   receives on `stream-room-messages` a message it posted over REST.
//! - `sdk_bot.js`: a bot on `@rocket.chat/sdk` 0.2.9 (asteroid, DDP "pre2", plain-text login,
//!   `__my_messages__`, `getRoomIdByNameOrId`, `joinRoom`, `sendMessage`) answers a user.
//! - `ddp_client_stream.js`: `@rocket.chat/ddp-client` 1.1.2 (the modern official client)
//!   logs in and receives a streamed message.
//!
//! The npm packages live in `tests/clients/node/node_modules`, installed by `scripts/test`
//! (`npm ci`, pinned by the committed package-lock.json). Missing or stale packages fail the
//! tests: they are never skipped silently. `FERROCHAT_NODE` names another `node` binary.

mod common;

use common::node::{collect, node_binary};
use common::*;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

/// How long one script may run (each script also has its own, shorter watchdog).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node")
}

/// Fails the test unless the Node packages are installed and match package-lock.json.
fn require_node_modules() {
    common::node::require_npm_packages(&node_dir(), "the Node test clients");
}

/// A running node script: its stdout lines arrive on `lines`, all output is kept.
struct NodeScript {
    name: String,
    child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl NodeScript {
    /// Starts `node tests/clients/node/<script>` with these environment variables.
    fn spawn(script: &str, envs: &[(&str, &str)]) -> NodeScript {
        require_node_modules();
        let dir = node_dir();
        let node = node_binary();
        let mut cmd = tokio::process::Command::new(&node);
        cmd.arg(dir.join(script))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run {node} ({e}). Node.js is needed for these tests: run scripts/test \
                 (it installs nodejs and npm when absent) or set FERROCHAT_NODE."
            )
        });
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::unbounded_channel();
        collect(
            child.stdout.take().expect("piped stdout"),
            stdout.clone(),
            Some(tx),
            None,
        );
        collect(
            child.stderr.take().expect("piped stderr"),
            stderr.clone(),
            None,
            None,
        );
        NodeScript {
            name: script.to_string(),
            child,
            lines,
            stdout,
            stderr,
        }
    }

    fn output(&self) -> String {
        format!(
            "--- {} stdout ---\n{}--- {} stderr ---\n{}",
            self.name,
            self.stdout.lock().map(|s| s.clone()).unwrap_or_default(),
            self.name,
            self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
        )
    }

    /// Waits for a stdout line equal to `marker`; panics with the output if the script ends
    /// or `within` passes first.
    async fn wait_for_line(&mut self, marker: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if line.trim() == marker => return,
                Ok(Some(_)) => continue,
                Ok(None) => {
                    let status = self.child.wait().await.ok();
                    panic!(
                        "{} ended ({status:?}) before printing {marker}\n{}",
                        self.name,
                        self.output()
                    );
                }
                Err(_) => panic!(
                    "{} did not print {marker} within {} s\n{}",
                    self.name,
                    within.as_secs(),
                    self.output()
                ),
            }
        }
    }

    /// Waits for the script to end; returns its status (panics with the output on timeout).
    async fn finish(&mut self, within: Duration) -> ExitStatus {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) => {
                // Let the readers drain what the script printed last.
                tokio::time::sleep(Duration::from_millis(50)).await;
                status
            }
            Ok(Err(e)) => panic!("waiting for {}: {e}", self.name),
            Err(_) => {
                let _ = self.child.kill().await;
                panic!(
                    "{} did not finish within {} s\n{}",
                    self.name,
                    within.as_secs(),
                    self.output()
                );
            }
        }
    }

    /// Waits for the script and asserts it exited 0, printing its output otherwise.
    async fn assert_success(&mut self, server: &Server) {
        let status = self.finish(SCRIPT_TIMEOUT).await;
        assert!(
            status.success(),
            "{} failed ({status}) against the {} store:\n{}",
            self.name,
            server.backend.name(),
            self.output()
        );
    }
}

/// Runs a script to its end and asserts success.
async fn run_script(server: &Server, script: &str, envs: &[(&str, &str)]) {
    let mut run = NodeScript::spawn(script, envs);
    run.assert_success(server).await;
}

/// A public channel created by the admin with `members`; returns (id, name).
async fn channel_with(admin: &Client, prefix: &str, members: &[&str]) -> (String, String) {
    let name = unique(prefix);
    let body = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": members}),
        )
        .await;
    let id = body["channel"]["_id"]
        .as_str()
        .unwrap_or_else(|| panic!("channels.create without _id: {body}"))
        .to_string();
    (id, name)
}

both_stores!(
    simpleddp_streams_a_message_posted_over_rest,
    |server| async move {
        let admin = server.admin().await;
        server.create_user(&admin, "gina").await;
        let (rid, _) = channel_with(&admin, "ddpjs", &["gina"]).await;
        run_script(
            &server,
            "simpleddp_stream.js",
            &[
                ("FERROCHAT_URL", server.url.as_str()),
                ("FERROCHAT_USER", "gina"),
                ("FERROCHAT_PASSWORD", "pass-gina"),
                ("FERROCHAT_ROOM_ID", rid.as_str()),
            ],
        )
        .await;
    }
);

both_stores!(sdk_bot_joins_and_answers_in_a_room, |server| async move {
    let admin = server.admin().await;
    let (status, body, _) = admin
        .post(
            "/api/v1/users.create",
            json!({
                "email": "hal@example.com",
                "name": "Hal the bot",
                "password": "pass-hal",
                "username": "hal",
                "roles": ["bot"],
                "verified": true,
            }),
        )
        .await;
    assert!(status == 200 && body["success"] == json!(true), "{body}");
    let ivy = server.create_user(&admin, "ivy").await;
    // The bot is not a member: it joins through the joinRoom method.
    let (rid, name) = channel_with(&admin, "botroom", &["ivy"]).await;

    let trigger = format!("hey-bot-{}", random_hex(4));
    let reply = format!("answer-{}", random_hex(4));
    let mut bot = NodeScript::spawn(
        "sdk_bot.js",
        &[
            ("FERROCHAT_URL", server.url.as_str()),
            ("FERROCHAT_USER", "hal"),
            ("FERROCHAT_PASSWORD", "pass-hal"),
            ("FERROCHAT_ROOM_NAME", name.as_str()),
            ("FERROCHAT_TRIGGER", trigger.as_str()),
            ("FERROCHAT_REPLY", reply.as_str()),
        ],
    );
    bot.wait_for_line("FERROCHAT_READY", Duration::from_secs(40))
        .await;

    ivy.post_ok(
        "/api/v1/chat.postMessage",
        json!({"roomId": rid, "text": format!("{trigger} what time is it?")}),
    )
    .await;
    bot.assert_success(&server).await;

    let history = ivy
        .get_ok("/api/v1/channels.history", &[("roomId", rid.as_str())])
        .await;
    let messages = history["messages"].as_array().expect("messages");
    let answer = messages
        .iter()
        .find(|m| m["msg"].as_str().is_some_and(|t| t.starts_with(&reply)))
        .unwrap_or_else(|| {
            panic!(
                "the bot's answer is not in channels.history: {history}\n{}",
                bot.output()
            )
        });
    assert_eq!(answer["u"]["username"], "hal", "{answer}");
    assert_eq!(answer["bot"]["i"], "js.SDK", "{answer}");
    assert_eq!(answer["msg"], format!("{reply} @ivy"), "{answer}");
    // joinRoom made the bot a member.
    let members = ivy
        .get_ok("/api/v1/channels.members", &[("roomId", rid.as_str())])
        .await;
    assert!(
        members["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|u| u["username"] == "hal")),
        "{members}"
    );
});

both_stores!(ddp_client_logs_in_and_streams, |server| async move {
    let admin = server.admin().await;
    server.create_user(&admin, "jules").await;
    let (rid, _) = channel_with(&admin, "ddpclient", &["jules"]).await;
    run_script(
        &server,
        "ddp_client_stream.js",
        &[
            ("FERROCHAT_URL", server.url.as_str()),
            ("FERROCHAT_USER", "jules"),
            ("FERROCHAT_PASSWORD", "pass-jules"),
            ("FERROCHAT_ROOM_ID", rid.as_str()),
        ],
    )
    .await;
});
