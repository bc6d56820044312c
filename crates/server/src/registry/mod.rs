//! Static Rocket.Chat registries: settings, permissions and roles (pure data, no I/O).

pub mod permissions;
pub mod roles;
pub mod settings;
