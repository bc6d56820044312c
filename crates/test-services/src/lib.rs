//! Real third-party services for tests, started fresh and stopped when dropped: moto's S3
//! server and clamd (with a signature database written here, so nothing is downloaded).
//! Nothing is skipped: a missing tool is installed by `crates/files/tests/setup.sh`, and a
//! failure to start one fails the test with the reason. Shared by the file-storage crate's
//! tests and the server's end-to-end tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on loopback")
}

/// Runs `crates/files/tests/setup.sh` once per test binary (installing moto and clamd when
/// missing).
pub fn ensure_tools() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../files/tests/setup.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed (moto_server and clamd are needed by these tests):\n{}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    *done = true;
}

/// A child process killed (by its own PID) when dropped.
pub struct Service {
    child: Child,
    pub port: u16,
    pub dir: Option<tempfile::TempDir>,
    log: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    pub fn log_tail(&self) -> String {
        std::fs::read_to_string(&self.log)
            .map(|s| {
                s.lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

async fn wait_for_port(service: &mut Service, what: &str, timeout: Duration) {
    let start = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", service.port))
            .await
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = service.child.try_wait() {
            panic!(
                "{what} exited ({status}) before listening:\n{}",
                service.log_tail()
            );
        }
        assert!(
            start.elapsed() < timeout,
            "{what} did not listen within {timeout:?}:\n{}",
            service.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn moto_python() -> PathBuf {
    match std::env::var_os("FERROCHAT_MOTO_PYTHON") {
        Some(py) => PathBuf::from(py),
        None => {
            let venv = std::env::var_os("FERROCHAT_MOTO_VENV")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                        .join(".cache/ferrochat-moto")
                });
            venv.join("bin/python")
        }
    }
}

/// Starts moto's S3 server on a free port and creates `bucket` in it.
pub async fn start_moto(bucket: &str) -> Service {
    ensure_tools();
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moto.log");
    let log_file = std::fs::File::create(&log).expect("moto log");
    let child = Command::new(moto_python())
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log handle"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "could not start moto_server with {}: {e}",
                moto_python().display()
            )
        });
    let mut service = Service {
        child,
        port,
        dir: Some(dir),
        log,
    };
    wait_for_port(&mut service, "moto_server", Duration::from_secs(30)).await;
    let (status, body) = http(port, "PUT", &format!("/{bucket}")).await;
    assert_eq!(status, 200, "creating bucket {bucket}: {body}");
    service
}

/// A bare HTTP/1.1 request to a loopback server (moto accepts unsigned requests): status
/// and body. Enough for creating buckets and listing multipart uploads in tests.
pub async fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    sock.write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    sock.read_to_end(&mut response)
        .await
        .expect("read response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The 68-byte EICAR anti-virus test string.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Starts clamd with a signature database written here: the EICAR string's MD5 (`.hdb`) and
/// its body anywhere in a file (`.ndb`). Listens on TCP and on a unix socket.
pub async fn start_clamd(stream_max_length: &str) -> Service {
    ensure_tools();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    std::fs::create_dir(&db).expect("db dir");
    let md5 = "44d88612fea8a8f36de82e1278abb02f";
    std::fs::write(
        db.join("custom.hdb"),
        format!("{md5}:{}:Ferrochat.Test.EICAR\n", EICAR.len()),
    )
    .expect("write hdb");
    let body: String = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        db.join("custom.ndb"),
        format!("Ferrochat.Test.EICAR.Body:0:*:{body}\n"),
    )
    .expect("write ndb");
    let port = free_port();
    let socket = dir.path().join("clamd.sock");
    let log = dir.path().join("clamd.log");
    let conf = dir.path().join("clamd.conf");
    std::fs::write(
        &conf,
        format!(
            "DatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nLocalSocket {}\n\
             Foreground yes\nStreamMaxLength {stream_max_length}\nBytecode no\nLogFile {}\n\
             LogVerbose no\nPidFile {}\nTemporaryDirectory {}\nUser root\n",
            db.display(),
            socket.display(),
            dir.path().join("clamd.log.inner").display(),
            dir.path().join("clamd.pid").display(),
            dir.path().display(),
        ),
    )
    .expect("write clamd.conf");
    let log_file = std::fs::File::create(&log).expect("clamd log");
    let child = Command::new("/usr/sbin/clamd")
        .arg(format!("--config-file={}", conf.display()))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log handle"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start /usr/sbin/clamd: {e}"));
    let mut service = Service {
        child,
        port,
        dir: Some(dir),
        log,
    };
    wait_for_port(&mut service, "clamd", Duration::from_secs(60)).await;
    service
}
