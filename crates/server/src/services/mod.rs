//! The features, written once and called by both transports (REST now, DDP later). A
//! service function takes the state and the acting user, validates, checks permissions
//! through `authz`, and talks to the store.

pub mod access;
pub mod access_tokens;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod avatars;
pub mod clean_history;
pub mod custom_emoji;
pub mod direct;
pub mod directory;
pub mod discussions;
pub mod events;
pub mod file_storage;
pub mod history;
pub mod login_guard;
pub mod login_services;
pub mod markdown;
pub mod message_access;
pub mod message_lists;
pub mod message_sync;
pub mod messages;
pub mod muting;
pub mod node_sync;
pub mod outbound;
pub mod passwords;
pub mod pins;
pub mod reactions;
pub mod room_admin;
pub mod room_settings;
pub mod rooms;
pub mod search;
pub mod settings;
pub mod settings_admin;
pub mod slash_commands;
pub mod stars;
pub mod subscriptions;
pub mod threads;
pub mod uploads;
pub mod user_rooms;
pub mod users;
