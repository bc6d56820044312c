//! Everything a request handler needs, shared by all of them.

use std::ops::Deref;
use std::sync::Arc;

use ferrochat_bus::Bus;
use ferrochat_store::Store;

use crate::config::Config;
use crate::gateway::ratelimit::RateLimits;
use crate::realtime::hub::Hub;
use crate::realtime::presence::Presence;
use crate::services::authz::Authz;
use crate::services::login_guard::LoginGuard;
use crate::services::passwords::Passwords;
use crate::services::settings::Settings;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub settings: Settings,
    pub authz: Authz,
    pub passwords: Passwords,
    pub login_guard: LoginGuard,
    pub rate_limits: RateLimits,
    pub ddp_limits: crate::realtime::ratelimit::DdpLimits,
    /// Realtime events between nodes (in process, or through Redis).
    pub bus: Bus,
    /// This node's WebSocket subscriptions.
    pub hub: Arc<Hub>,
    /// Who is online, on this node (and through Redis, in the cluster).
    pub presence: Arc<Presence>,
    /// Uploaded files' blob store, scanner and spool.
    pub files: crate::services::file_storage::FileStorage,
    /// Sent as `X-Instance-ID`; distinguishes nodes of a cluster.
    pub instance_id: String,
    pub started_at: i64,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
