//! What the seeder wrote, for the load generator: accounts with their password and resume
//! tokens, each user's rooms, and the special rooms the scenarios use.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Every seeded user's password.
    pub password: String,
    pub users: Vec<SeedUser>,
    /// Ordinary rooms (without the special ones).
    pub rooms: u64,
    /// Messages in all, the big room's included.
    pub messages: u64,
    pub big_room: BigRoom,
    pub fanout_rooms: Vec<FanoutRoom>,
    /// The words messages are made of (search terms come from here).
    pub vocabulary: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedUser {
    pub id: String,
    pub username: String,
    /// A resume token (`X-Auth-Token`, DDP `login {resume}`).
    pub token: String,
    /// Up to five of the user's rooms.
    pub rooms: Vec<UserRoom>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRoom {
    pub id: String,
    /// A private group (`groups.*`), not a channel.
    #[serde(default)]
    pub private: bool,
    /// Another member of the room, to mention.
    pub mate: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BigRoom {
    pub id: String,
    pub name: String,
    pub messages: u64,
    /// Epoch milliseconds of its first and last seeded message.
    pub first_ts: i64,
    pub last_ts: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FanoutRoom {
    /// Its members are the first `members` users.
    pub members: u64,
    pub id: String,
    pub name: String,
}

impl Manifest {
    /// A manifest of nothing, for scenarios that need no seeded data.
    pub fn empty() -> Self {
        Manifest {
            password: String::new(),
            users: Vec::new(),
            rooms: 0,
            messages: 0,
            big_room: BigRoom {
                id: String::new(),
                name: String::new(),
                messages: 0,
                first_ts: 0,
                last_ts: 0,
            },
            fanout_rooms: Vec::new(),
            vocabulary: Vec::new(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let text = serde_json::to_vec(self).map_err(|source| ManifestError::Json {
            path: path.display().to_string(),
            source,
        })?;
        std::fs::write(path, text).map_err(|source| ManifestError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read(path).map_err(|source| ManifestError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|source| ManifestError::Json {
            path: path.display().to_string(),
            source,
        })
    }

    /// The fan-out room with exactly this many members.
    pub fn fanout_room(&self, members: u64) -> Option<&FanoutRoom> {
        self.fanout_rooms.iter().find(|r| r.members == members)
    }
}
