//! Ferrochat's domain: ids, timestamps, the entities that go out on the wire and the
//! rules that need no I/O (name validation, DM ids, password digests).

pub mod entities;
pub mod ids;
pub mod mentions;
pub mod names;
pub mod password;
pub mod time;
pub mod wire;

pub use entities::{Message, Room, RoomType, Subscription, User, UserRef};
pub use wire::DateStyle;
