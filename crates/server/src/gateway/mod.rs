//! The gateway: who is calling (tokens from headers or cookies), how often (rate limits),
//! and the headers every response carries.

pub mod auth;
pub mod headers;
pub mod ratelimit;

pub use auth::{Auth, Caller, MaybeAuth};
