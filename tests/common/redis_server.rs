//! A throw-away `redis-server` for one test: on a free loopback port, without persistence,
//! killed when dropped. It can be stopped and started again on the same port, to test what
//! the nodes do while Redis is away.
//!
//! `FERROCHAT_REDIS_SERVER` names another `redis-server` binary; `scripts/test` installs
//! Debian's `redis-server` when it is missing.

use std::fs::{self, OpenOptions};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{free_port, random_hex};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
}

fn binary() -> String {
    std::env::var("FERROCHAT_REDIS_SERVER")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "redis-server".to_string())
}

impl RedisServer {
    /// Starts a fresh Redis on a free port and waits until it answers PING.
    pub async fn start() -> RedisServer {
        let dir = std::env::temp_dir().join(format!("ferrochat-redis-{}", random_hex(6)));
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let log_path = dir.join("redis.log");
        let mut redis = RedisServer {
            port: 0,
            dir,
            log_path,
            child: None,
        };
        for _attempt in 0..3 {
            redis.port = free_port();
            if redis.spawn_and_wait().await {
                return redis;
            }
        }
        panic!(
            "redis-server did not start on a free port\n--- {} ---\n{}",
            redis.log_path.display(),
            redis.log()
        );
    }

    /// `redis://127.0.0.1:PORT/`, for `REDIS_URL`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills Redis (SIGKILL: connections break as in a crash) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Redis again on the same port (empty: it keeps no data).
    pub async fn start_again(&mut self) {
        self.stop();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        // The port may need a moment to become free again.
        while !self.spawn_and_wait().await {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start again on port {}\n--- {} ---\n{}",
                self.port,
                self.log_path.display(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// False when the port was taken; panics on any other failure.
    async fn spawn_and_wait(&mut self) -> bool {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.log_path.display()));
        let log_err = log.try_clone().expect("clone log file handle");
        let bin = binary();
        let child = Command::new(&bin)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {bin} ({e}). The cluster tests need Redis: run scripts/test (it \
                     installs redis-server when missing) or set FERROCHAT_REDIS_SERVER."
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                let log = self.log();
                if log.contains("Address already in use") {
                    return false;
                }
                panic!("redis-server exited with {status}\n{log}");
            }
            if ping(self.port).await {
                return true;
            }
            if Instant::now() > deadline {
                self.stop();
                panic!(
                    "redis-server on port {} did not answer PING within {} s\n{}",
                    self.port,
                    STARTUP_TIMEOUT.as_secs(),
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// True when a Redis on `port` answers PING with PONG.
pub async fn ping(port: u16) -> bool {
    let attempt = async {
        let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        conn.write_all(b"PING\r\n").await.ok()?;
        let mut buf = [0u8; 16];
        let n = conn.read(&mut buf).await.ok()?;
        Some(buf[..n].starts_with(b"+PONG"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), attempt).await,
        Ok(Some(true))
    )
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
