//! Starting and stopping the `ferrochat` binary under test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot start {bin}: {source}")]
    Spawn { bin: String, source: std::io::Error },
    #[error("cannot open the server log {path}: {source}")]
    Log {
        path: String,
        source: std::io::Error,
    },
    #[error("the server exited before it was ready ({status}); log: {log}")]
    Exited { status: String, log: String },
    #[error("the server was not ready within {0:?}; log: {1}")]
    NotReady(Duration, String),
    #[error("no free port: {0}")]
    Port(std::io::Error),
}

/// How to start one server.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub bin: PathBuf,
    /// Extra environment (DATA_DIR or DATABASE_URL, REDIS_URL...).
    pub env: Vec<(String, String)>,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Record a CPU profile with `perf record` into this file, from ready to stop.
    pub perf: Option<PathBuf>,
}

/// A running server. Stopped with [`Server::stop`]; killed if dropped while running.
pub struct Server {
    child: Child,
    pid: u32,
    pub base_url: String,
    pub port: u16,
    /// From spawn to the first successful `/readyz`.
    pub ready_after: Duration,
    log: PathBuf,
    perf: Option<Child>,
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16, ServerError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(ServerError::Port)?;
    let port = listener.local_addr().map_err(ServerError::Port)?.port();
    Ok(port)
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(5);
    format!("{} [...] {}", path.display(), lines[start..].join(" | "))
}

impl Server {
    /// Spawns the server on a free port and waits until `/readyz` answers 200.
    pub async fn start(spec: &ServerSpec, timeout: Duration) -> Result<Server, ServerError> {
        let port = free_port()?;
        let log = std::fs::File::create(&spec.log).map_err(|source| ServerError::Log {
            path: spec.log.display().to_string(),
            source,
        })?;
        let log_err = log.try_clone().map_err(|source| ServerError::Log {
            path: spec.log.display().to_string(),
            source,
        })?;
        let mut command = Command::new(&spec.bin);
        command
            .arg("serve")
            .env("PORT", port.to_string())
            .env("BIND_IP", "127.0.0.1")
            .env("ROOT_URL", format!("http://127.0.0.1:{port}"))
            // Rate limits off (REST and DDP), as Rocket.Chat's own load tests run.
            .env("TEST_MODE", "true")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        for (key, value) in &spec.env {
            command.env(key, value);
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|source| ServerError::Spawn {
            bin: spec.bin.display().to_string(),
            source,
        })?;
        let pid = child.id().unwrap_or(0);
        let base_url = format!("http://127.0.0.1:{port}");
        let ready_after = wait_ready(&mut child, &base_url, &spec.log, timeout, started).await?;
        let perf = spec.perf.as_ref().and_then(|out| start_perf(pid, out));
        Ok(Server {
            child,
            pid,
            base_url,
            port,
            ready_after,
            log: spec.log.clone(),
            perf,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }

    /// SIGTERM, then SIGKILL after 15 s.
    pub async fn stop(mut self) {
        if let Some(mut perf) = self.perf.take() {
            if let Some(pid) = perf.id().and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: signalling our own child process; perf writes its file on SIGINT.
                unsafe {
                    libc::kill(pid, libc::SIGINT);
                }
            }
            if tokio::time::timeout(Duration::from_secs(60), perf.wait())
                .await
                .is_err()
            {
                let _ = perf.kill().await;
            }
        }
        if let Ok(pid) = i32::try_from(self.pid)
            && pid > 0
        {
            // SAFETY: signalling our own child process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// `perf record` of the server's CPU time with call graphs; `None` (and a warning) when
/// perf cannot start.
fn start_perf(pid: u32, out: &Path) -> Option<Child> {
    let child = Command::new("perf")
        .args(["record", "-e", "cpu-clock", "-F", "499", "-g", "-p"])
        .arg(pid.to_string())
        .arg("-o")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    match child {
        Ok(child) => Some(child),
        Err(e) => {
            eprintln!("warning: perf record: {e}");
            None
        }
    }
}

async fn wait_ready(
    child: &mut Child,
    base_url: &str,
    log: &Path,
    timeout: Duration,
    started: Instant,
) -> Result<Duration, ServerError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok();
    let url = format!("{base_url}/readyz");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(ServerError::Exited {
                status: status.to_string(),
                log: tail(log),
            });
        }
        if let Some(client) = &client
            && let Ok(response) = client.get(&url).send().await
            && response.status().is_success()
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            let _ = child.kill().await;
            return Err(ServerError::NotReady(timeout, tail(log)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
