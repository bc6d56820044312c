//! Static Rocket.Chat registries: settings, permissions, roles and emoji names (pure data, no I/O).

pub mod emoji;
mod emoji_names;
pub mod permissions;
pub mod roles;
pub mod settings;
