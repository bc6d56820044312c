//! Running Node.js scripts from tests: the `node` binary, the check that a directory's npm
//! packages are installed as its lock file says, and collecting a child's output by line.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// `node`, or the binary `FERROCHAT_NODE` names.
pub fn node_binary() -> String {
    std::env::var("FERROCHAT_NODE")
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "node".to_string())
}

/// Fails the test unless `dir/node_modules` is installed and matches `package-lock.json`: the
/// stamp `scripts/test` writes after `npm ci` holds the SHA-256 of package.json followed by
/// package-lock.json. `what` names the packages in the messages.
pub fn require_npm_packages(dir: &Path, what: &str) {
    use sha2::Digest;
    let advice = format!(
        "Run scripts/test (it runs `npm ci` in {dir} when node_modules is missing or stale), or \
         `cd {dir} && npm ci && cat package.json package-lock.json | sha256sum | cut -d' ' -f1 > \
         node_modules/.ferrochat-stamp`.",
        dir = dir.display()
    );
    let mut hasher = sha2::Sha256::new();
    for file in ["package.json", "package-lock.json"] {
        let path = dir.join(file);
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        hasher.update(&bytes);
    }
    let want = hex::encode(hasher.finalize());
    let stamp_path = dir.join("node_modules/.ferrochat-stamp");
    let stamp = std::fs::read_to_string(&stamp_path).unwrap_or_else(|_| {
        panic!(
            "{what} are not installed ({} is missing). {advice}",
            stamp_path.display()
        )
    });
    assert_eq!(
        stamp.trim(),
        want,
        "{what} in {}/node_modules are stale (package.json or package-lock.json changed since \
         they were installed). {advice}",
        dir.display()
    );
}

/// Reads `reader` line by line into `into` (and onto `lines`, when given); with `echo`, each
/// line is also printed to stderr behind that prefix.
pub fn collect<R: AsyncRead + Unpin + Send + 'static>(
    reader: R,
    into: Arc<Mutex<String>>,
    lines: Option<mpsc::UnboundedSender<String>>,
    echo: Option<&'static str>,
) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if let Some(prefix) = echo {
                eprintln!("{prefix}{line}");
            }
            if let Ok(mut all) = into.lock() {
                all.push_str(&line);
                all.push('\n');
            }
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    });
}
