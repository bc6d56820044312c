//! Real Rocket.Chat client libraries against the real binary, on both stores.
//!
//! `$FERROCHAT_PYTHON` (default `python3`) must have the PyPI package `rocketchat-API`;
//! `scripts/test` creates such a venv and exports FERROCHAT_PYTHON. A missing package fails the
//! test: it is never skipped silently.

mod common;

use std::process::Output;

const PYTHON_CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/rocketchat_api_client.py"
);

fn python() -> String {
    std::env::var("FERROCHAT_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

async fn run_python(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let python = python();
    let mut cmd = tokio::process::Command::new(&python);
    cmd.args(args).stdin(std::process::Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    match tokio::time::timeout(std::time::Duration::from_secs(300), cmd.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!(
            "cannot run {python} ({e}). Run scripts/test, which creates a Python venv with the \
             test clients and exports FERROCHAT_PYTHON, or set FERROCHAT_PYTHON yourself."
        ),
        Err(_) => panic!("{python} {args:?} did not finish within 300 s"),
    }
}

fn require_python_module(output: &Output, module: &str, package: &str) {
    assert!(
        output.status.success(),
        "the Python module {module} (PyPI package {package}) is missing for {}: {}\n\
         Run scripts/test (it creates the venv ${{FERROCHAT_VENV:-$HOME/.cache/ferrochat-venv}}, \
         installs the pinned test clients and exports FERROCHAT_PYTHON), or set FERROCHAT_PYTHON \
         to a python that has {package}.",
        python(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

both_stores!(python_rocketchat_api, |server| async move {
    let check = run_python(&["-c", "import rocketchat_API.rocketchat"], &[]).await;
    require_python_module(&check, "rocketchat_API", "rocketchat-API");

    let output = run_python(&[PYTHON_CLIENT], &[("FERROCHAT_URL", server.url.as_str())]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- {PYTHON_CLIENT} stdout ---\n{stdout}");
    println!("--- {PYTHON_CLIENT} stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "the rocketchat-API client failed ({}) against the {} store:\n{stdout}\n{stderr}",
        output.status,
        server.backend.name()
    );
});
