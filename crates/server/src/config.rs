//! Configuration: environment variables with Rocket.Chat's names, optionally preceded by a
//! TOML file with the same keys. The environment wins over the file.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// Every key, with what it does; `ferrochat --help` prints this table.
pub const KEYS: &[(&str, &str)] = &[
    ("PORT", "TCP port to listen on (default 3000)"),
    ("BIND_IP", "address to listen on (default 127.0.0.1)"),
    (
        "ROOT_URL",
        "public URL of the server (default http://localhost:<PORT>)",
    ),
    (
        "DATA_DIR",
        "directory for the embedded database and files (default ./data)",
    ),
    (
        "DATABASE_URL",
        "sqlite://<path> or postgres://...; default sqlite://<DATA_DIR>/ferrochat.db",
    ),
    (
        "DATABASE_MAX_CONNECTIONS",
        "connections per pool (default 10)",
    ),
    (
        "REDIS_URL",
        "redis://... for cluster mode (used by realtime fan-out)",
    ),
    ("ADMIN_USERNAME", "create this administrator on first start"),
    ("ADMIN_PASS", "password of that administrator"),
    ("ADMIN_EMAIL", "email of that administrator"),
    (
        "ADMIN_NAME",
        "display name of that administrator (default: the username)",
    ),
    (
        "TEST_MODE",
        "true: Rocket.Chat's test mode (fixed admin rocketchat.internal.admin.test, no REST rate limits)",
    ),
    (
        "INSTANCE_ID",
        "this node's id in X-Instance-ID (default: random per start)",
    ),
    (
        "DDP_HEARTBEAT_MS",
        "DDP heartbeat: ping after this much silence, close if no answer as long again (default 30000)",
    ),
    (
        "REDIS_PREFIX",
        "prefix of every Redis key this cluster uses (default ferrochat:)",
    ),
    (
        "CLAMD_URL",
        "tcp://host:port or unix:/path of a clamd to scan every upload with (default: no scanning)",
    ),
    (
        "FILE_ENCRYPTION_KEY",
        "64 hex digits: encrypt uploaded files at rest with AES-256-GCM (default: not encrypted)",
    ),
    (
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS",
        "true: URLs users give (avatar URLs) may point into private networks; off by default so no one can make the server fetch from its own network",
    ),
    (
        "PRESENCE_TTL_MS",
        "cluster mode: a node whose heartbeat is older than this counts as dead and its users go offline (default 10000; heartbeats every third of it)",
    ),
    (
        "OVERWRITE_SETTING_<id>",
        "force a setting's value, as in Rocket.Chat",
    ),
];

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind_ip: IpAddr,
    pub root_url: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_max_connections: u32,
    pub redis_url: Option<String>,
    pub admin: Option<AdminSeed>,
    pub test_mode: bool,
    pub instance_id: Option<String>,
    pub ddp_heartbeat: std::time::Duration,
    /// Prefix of the Redis keys (`REDIS_PREFIX`).
    pub redis_prefix: String,
    /// Cluster presence: how long a node's heartbeat lives (`PRESENCE_TTL_MS`).
    pub presence_ttl: std::time::Duration,
    /// `OVERWRITE_SETTING_<id>` values, raw.
    pub setting_overrides: Vec<(String, String)>,
    /// `OUTBOUND_ALLOW_PRIVATE_NETWORKS`: user-given URLs may point at private addresses.
    pub outbound_allow_private: bool,
    /// `CLAMD_URL`: scan uploads with this clamd.
    pub clamd_url: Option<String>,
    /// `FILE_ENCRYPTION_KEY`: hex key for encryption at rest (never printed).
    pub file_encryption_key: Option<Secret>,
}

/// A configuration value that must never reach a log: its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Clone)]
pub struct AdminSeed {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl std::fmt::Debug for AdminSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSeed")
            .field("username", &self.username)
            .field("password", &"***")
            .field("email", &self.email)
            .finish()
    }
}

/// The keys of a TOML configuration file, upper-cased like the environment's.
fn read_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let table: toml::Table = text.parse().map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })?;
    Ok(table
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s,
                other => other.to_string(),
            };
            (key.to_ascii_uppercase(), text)
        })
        .collect())
}

impl Config {
    /// Reads the optional file, then the process environment on top of it.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut values = match file {
            Some(path) => read_file(path)?,
            None => HashMap::new(),
        };
        values.extend(std::env::vars());
        Self::from_map(&values)
    }

    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let port = match get("PORT") {
            Some(p) => p.parse().map_err(|_| ConfigError::Invalid {
                key: "PORT",
                message: format!("{p:?} is not a port number"),
            })?,
            None => 3000,
        };
        let bind_ip = match get("BIND_IP") {
            Some(ip) => ip.parse().map_err(|_| ConfigError::Invalid {
                key: "BIND_IP",
                message: format!("{ip:?} is not an IP address"),
            })?,
            None => IpAddr::from([127, 0, 0, 1]),
        };
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("ferrochat.db").display()));
        let root_url = get("ROOT_URL")
            .unwrap_or_else(|| format!("http://localhost:{port}"))
            .trim_end_matches('/')
            .to_owned();
        url::Url::parse(&root_url).map_err(|e| ConfigError::Invalid {
            key: "ROOT_URL",
            message: e.to_string(),
        })?;
        let database_max_connections = match get("DATABASE_MAX_CONNECTIONS") {
            Some(n) => n.parse().map_err(|_| ConfigError::Invalid {
                key: "DATABASE_MAX_CONNECTIONS",
                message: format!("{n:?} is not a number"),
            })?,
            None => 10,
        };
        let ddp_heartbeat = match get("DDP_HEARTBEAT_MS") {
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms) if ms >= 100 => std::time::Duration::from_millis(ms),
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "DDP_HEARTBEAT_MS",
                        message: format!("{ms:?} is not a number of milliseconds (at least 100)"),
                    });
                }
            },
            None => std::time::Duration::from_secs(30),
        };
        let presence_ttl = match get("PRESENCE_TTL_MS") {
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms) if ms >= 300 => std::time::Duration::from_millis(ms),
                _ => {
                    return Err(ConfigError::Invalid {
                        key: "PRESENCE_TTL_MS",
                        message: format!("{ms:?} is not a number of milliseconds (at least 300)"),
                    });
                }
            },
            None => std::time::Duration::from_secs(10),
        };
        let test_mode =
            get("TEST_MODE").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        let admin = match (get("ADMIN_USERNAME"), get("ADMIN_PASS")) {
            (Some(username), Some(password)) => Some(AdminSeed {
                username,
                password,
                email: get("ADMIN_EMAIL"),
                name: get("ADMIN_NAME"),
            }),
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "ADMIN_USERNAME",
                    message: "ADMIN_USERNAME and ADMIN_PASS must be set together".into(),
                });
            }
            (None, None) => None,
        };
        let mut setting_overrides: Vec<(String, String)> = values
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("OVERWRITE_SETTING_")
                    .map(|id| (id.to_owned(), v.clone()))
            })
            .collect();
        setting_overrides.sort();
        Ok(Self {
            port,
            bind_ip,
            root_url,
            data_dir,
            database_url,
            database_max_connections,
            redis_url: get("REDIS_URL"),
            admin,
            test_mode,
            instance_id: get("INSTANCE_ID"),
            ddp_heartbeat,
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "ferrochat:".into()),
            presence_ttl,
            setting_overrides,
            outbound_allow_private: get("OUTBOUND_ALLOW_PRIVATE_NETWORKS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
            clamd_url: get("CLAMD_URL").filter(|v| !v.trim().is_empty()),
            file_encryption_key: get("FILE_ENCRYPTION_KEY")
                .filter(|v| !v.trim().is_empty())
                .map(Secret),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_map(&HashMap::new()).unwrap();
        assert_eq!(c.port, 3000);
        assert_eq!(c.bind_ip.to_string(), "127.0.0.1");
        assert_eq!(c.database_url, "sqlite://./data/ferrochat.db");
        assert_eq!(c.root_url, "http://localhost:3000");
        assert!(!c.test_mode);
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::from_map(&map(&[("PORT", "x")])).unwrap_err();
        assert!(err.to_string().starts_with("PORT"));
        assert!(Config::from_map(&map(&[("ADMIN_USERNAME", "a")])).is_err());
    }

    #[test]
    fn toml_files_use_the_same_keys() {
        let path =
            std::env::temp_dir().join(format!("ferrochat-config-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "PORT = 4100\nroot_url = \"https://chat.example.com\"\nTEST_MODE = true\n",
        )
        .unwrap();
        let values = read_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let c = Config::from_map(&values).unwrap();
        assert_eq!(c.port, 4100);
        assert_eq!(c.root_url, "https://chat.example.com");
        assert!(c.test_mode);
        let bad = std::env::temp_dir().join(format!("ferrochat-bad-{}.toml", std::process::id()));
        std::fs::write(&bad, "PORT = [").unwrap();
        assert!(matches!(read_file(&bad), Err(ConfigError::Parse { .. })));
        std::fs::remove_file(&bad).unwrap();
    }

    #[test]
    fn overrides_are_collected() {
        let c = Config::from_map(&map(&[("OVERWRITE_SETTING_Site_Name", "Acme")])).unwrap();
        assert_eq!(
            c.setting_overrides,
            vec![("Site_Name".into(), "Acme".into())]
        );
    }
}
