//! User presence: online / away / busy / offline, across every connection of a user and,
//! in cluster mode, across every node.
//!
//! **Model** (Rocket.Chat's `processPresenceAndStatus`). Each logged-in DDP connection has
//! a status, `online` or `away` (the client's idle timer calls `UserPresence:away` /
//! `UserPresence:online`). A user's `statusConnection` is the best status among all their
//! connections (`online` > `away`), `offline` when they have none. Their `status`, what
//! everyone sees, is `offline` without connections, else `statusConnection` when the
//! chosen `statusDefault` is `online`, else `statusDefault` (`away`, `busy`, or `offline`
//! for invisible). Both are stored on the user row (`users.status`,
//! `users.status_connection`), which REST reads (`users.getStatus`, `users.getPresence`,
//! `users.presence`), and each change is announced with
//! [`events::user_status`](crate::services::events::user_status).
//!
//! **Local state.** This node keeps, per user, the status of each of its connections. A
//! change (login, logout, disconnect, away/online) updates that map at once and queues a
//! *sync* of the user on one of [`WORKERS`] tasks, chosen by user id, so a user's syncs run
//! one at a time and in order while different users proceed in parallel. Sessions never
//! wait for Redis or the database to connect or log in.
//!
//! **Sync.** Writes this node's status of the user to Redis and reads the best status on
//! all live nodes in one script (cluster mode; without Redis it is the local one), loads
//! the user, computes `status` / `statusConnection`, writes them when they changed and
//! announces the change. In cluster mode it then reads the cluster state again and starts
//! over if it moved meanwhile: two nodes syncing the same user at once cannot leave a stale
//! value behind, because the last one to write re-reads after its write.
//!
//! **Cluster mode** (`REDIS_URL`; keys in [`ferrochat_bus::presence`], under
//! `REDIS_PREFIX`). Every node refreshes a heartbeat key with a time to live of
//! `PRESENCE_TTL_MS` (default 10 s) every third of it, and keeps one hash of user → best
//! status of its connections. Every node also scans, every third of the TTL, for registered
//! nodes whose heartbeat has expired; the first to take the dead node's lock (`SET NX PX`)
//! syncs each of its users (they go offline unless connected elsewhere, and that is
//! announced; these syncs fail rather than guess when Redis does not answer, and the node
//! is then reaped again at the next scan) and then deletes the node's state (only if its
//! heartbeat is still gone, so a node that was only slow keeps it). **Bound:** a node
//! killed with SIGKILL refreshed its heartbeat at most `TTL/3` before dying, so its key
//! expires within `TTL` of the kill, another node notices within a further `TTL/3`, and
//! its users are offline within `4/3 × TTL` plus the time to sync them (a Redis script and
//! a database read and write per user, 16 at a time): about 14 s with the default TTL,
//! **at most 20 s** for a few thousand users on the dead node (measured: 1.5 s with
//! `PRESENCE_TTL_MS=1500`). A node stopped cleanly (SIGTERM) takes its users offline and
//! leaves Redis at once. At start, and every five minutes, each node (one at a time, under
//! a lock) reconciles the database with Redis: users stored as connected whom no live node
//! has are synced (offline); that covers a whole cluster that went down, or a Redis that
//! lost its data.
//!
//! **Redis down.** Logins and connections go on. Syncs use this node's own view (a user
//! connected only elsewhere may look offline meanwhile) without waiting on Redis once a
//! call has failed; the failure is logged once. The heartbeat keeps probing; when Redis
//! answers again (or this node finds that its heartbeat had expired, so it may have been
//! reaped) the node re-syncs every user it has state for, which rewrites its hash and
//! corrects the stored statuses.
//!
//! **Without Redis** presence lives in this process; at start every user stored as
//! connected is synced (offline), since a single node that starts has no connections.
//! Several nodes on one database need Redis.
//!
//! **Forced logout.** [`events::force_logout`](crate::services::events::force_logout)
//! publishes a signal on [`SESSION_STREAM`] (a stream clients cannot subscribe to). Each
//! logged-in session listens for its user's signal through the hub; it then checks that its
//! login token still exists (and the user is still active), and otherwise sends its client
//! `<uid>/force_logout` (if subscribed), drops its login and ends its user streams. Only
//! the sessions whose token was revoked are told, so the client that changed its password
//! stays logged in while its other sessions end.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrochat_bus::presence::ClusterPresence;
pub use ferrochat_bus::presence::ConnStatus;
use ferrochat_model::time::now_ms;
use tokio::sync::{mpsc, oneshot};

use super::hub::ConnId;
use crate::error::{Error, Result};
use crate::services::events;
use crate::state::AppState;

/// Tasks that run syncs; a user always goes to the same one.
pub const WORKERS: usize = 16;

/// The internal stream of session signals (`name` = user id). Not subscribable: streams
/// are default-deny.
pub const SESSION_STREAM: &str = "ferrochat:session";

/// How a session-signal frame starts (see [`frames::changed`](super::frames::changed)).
const SESSION_SIGNAL_PREFIX: &str = r#"{"msg":"changed","collection":"ferrochat:session""#;

/// The statuses a user may choose.
pub const STATUSES: &[&str] = &["online", "away", "busy", "offline"];

/// How often the database is reconciled with the cluster state.
const RECONCILE_EVERY: Duration = Duration::from_secs(300);

/// How long a method waits for a sync it asked for.
const SYNC_WAIT: Duration = Duration::from_secs(10);

/// How long reaping a dead node waits for its users' syncs.
const REAP_WAIT: Duration = Duration::from_secs(60);

/// True for a frame that is a session signal rather than something for the client.
pub fn is_session_signal(frame: &str) -> bool {
    frame.starts_with(SESSION_SIGNAL_PREFIX)
}

/// The `statusNumber` of `user-status` events.
pub fn status_code(status: &str) -> u8 {
    match status {
        "online" => 1,
        "away" => 2,
        "busy" => 3,
        _ => 0,
    }
}

/// `status` from `statusConnection` and `statusDefault` (`processStatus`).
pub fn effective_status(connection: Option<ConnStatus>, status_default: &str) -> String {
    match connection {
        None => "offline".into(),
        Some(connection) if status_default.is_empty() || status_default == "online" => {
            connection.as_str().into()
        }
        Some(_) => status_default.into(),
    }
}

/// A change of what the user chose: their default status and/or status text.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub status_default: Option<String>,
    pub status_text: Option<String>,
    /// REST `users.setStatus` (Rocket.Chat writes the status as is): without connections the
    /// chosen status is stored as the status rather than `offline`.
    pub keep_when_offline: bool,
    /// Announce the status even if nothing changes here (the caller already stored a
    /// change the announcement carries, such as the status text).
    pub announce: bool,
}

enum Job {
    Sync {
        user_id: String,
        /// Fail rather than fall back to this node's view when Redis does not answer.
        strict: bool,
        /// Gets whether the user changed, or `None` when the sync failed.
        done: Option<oneshot::Sender<Option<bool>>>,
    },
    Choose {
        user_id: String,
        choice: Choice,
        done: oneshot::Sender<Result<bool>>,
    },
}

/// This node's presence tracker.
pub struct Presence {
    /// user id → this node's connections of the user and their statuses.
    local: Mutex<HashMap<String, HashMap<ConnId, ConnStatus>>>,
    workers: Vec<mpsc::UnboundedSender<Job>>,
    receivers: Mutex<Option<Vec<mpsc::UnboundedReceiver<Job>>>>,
    /// Users with a plain sync queued (later requests for them are folded into it).
    queued: Mutex<HashSet<String>>,
    cluster: Option<Arc<ClusterPresence>>,
    ttl: Duration,
    /// A Redis call failed since the last successful heartbeat: re-sync when it is back.
    redis_failed: AtomicBool,
}

impl Presence {
    /// A tracker; with `cluster`, presence is shared through Redis.
    pub fn new(cluster: Option<ClusterPresence>, ttl: Duration) -> Arc<Self> {
        let (workers, receivers) = (0..WORKERS).map(|_| mpsc::unbounded_channel()).unzip();
        Arc::new(Self {
            local: Mutex::new(HashMap::new()),
            workers,
            receivers: Mutex::new(Some(receivers)),
            queued: Mutex::new(HashSet::new()),
            cluster: cluster.map(Arc::new),
            ttl,
            redis_failed: AtomicBool::new(false),
        })
    }

    /// Starts the workers (and, in cluster mode, the heartbeat and the reaper) and the
    /// start-up reconciliation. Call once, when the state is built.
    pub fn start(self: &Arc<Self>, state: &AppState) {
        let Some(receivers) = self.receivers.lock().ok().and_then(|mut r| r.take()) else {
            return;
        };
        for rx in receivers {
            tokio::spawn(worker(self.clone(), state.clone(), rx));
        }
        match &self.cluster {
            None => {
                let presence = self.clone();
                let state = state.clone();
                tokio::spawn(async move { presence.reconcile(&state).await });
            }
            Some(cluster) => {
                tokio::spawn(heartbeat(self.clone(), cluster.clone()));
                tokio::spawn(reaper(self.clone(), state.clone(), cluster.clone()));
            }
        }
    }

    fn shard(&self, user_id: &str) -> &mpsc::UnboundedSender<Job> {
        let mut hasher = DefaultHasher::new();
        user_id.hash(&mut hasher);
        &self.workers[(hasher.finish() % self.workers.len() as u64) as usize]
    }

    /// Queues a sync of the user unless one is already waiting.
    fn queue_sync(&self, user_id: &str) {
        if let Ok(mut queued) = self.queued.lock()
            && !queued.insert(user_id.to_owned())
        {
            return;
        }
        let _ = self.shard(user_id).send(Job::Sync {
            user_id: user_id.to_owned(),
            strict: false,
            done: None,
        });
    }

    /// Syncs the user and waits for it: whether their stored status changed, `None` when
    /// the sync failed (or took too long).
    async fn sync_now(&self, user_id: &str, strict: bool, wait_at_most: Duration) -> Option<bool> {
        let (done, wait) = oneshot::channel();
        let job = Job::Sync {
            user_id: user_id.to_owned(),
            strict,
            done: Some(done),
        };
        self.shard(user_id).send(job).ok()?;
        tokio::time::timeout(wait_at_most, wait).await.ok()?.ok()?
    }

    /// The best status of the user's connections on this node.
    fn local_best(&self, user_id: &str) -> Option<ConnStatus> {
        let local = self.local.lock().ok()?;
        local.get(user_id)?.values().copied().max()
    }

    fn local_users(&self) -> Vec<String> {
        self.local
            .lock()
            .map(|l| l.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A connection logged in as `user_id`: it counts as online.
    pub fn connection_opened(&self, user_id: &str, conn: ConnId) {
        if let Ok(mut local) = self.local.lock() {
            local
                .entry(user_id.to_owned())
                .or_default()
                .insert(conn, ConnStatus::Online);
        }
        self.queue_sync(user_id);
    }

    /// A connection logged out or closed.
    pub fn connection_closed(&self, user_id: &str, conn: ConnId) {
        let mut removed = false;
        if let Ok(mut local) = self.local.lock()
            && let Some(conns) = local.get_mut(user_id)
        {
            removed = conns.remove(&conn).is_some();
            if conns.is_empty() {
                local.remove(user_id);
            }
        }
        if removed {
            self.queue_sync(user_id);
        }
    }

    /// `UserPresence:online` / `UserPresence:away` on a connection. Returns whether the
    /// connection's status changed; the user's status is synced before it returns.
    pub async fn set_connection_status(
        &self,
        user_id: &str,
        conn: ConnId,
        status: ConnStatus,
    ) -> bool {
        let changed = match self.local.lock() {
            Ok(mut local) => match local.get_mut(user_id).and_then(|c| c.get_mut(&conn)) {
                Some(current) if *current != status => {
                    *current = status;
                    true
                }
                _ => false,
            },
            Err(_) => false,
        };
        if changed {
            self.sync_now(user_id, false, SYNC_WAIT).await;
        }
        changed
    }

    /// Stores what the user chose and syncs their status. True when the user changed.
    pub async fn choose(&self, user_id: &str, choice: Choice) -> Result<bool> {
        let (done, wait) = oneshot::channel();
        let job = Job::Choose {
            user_id: user_id.to_owned(),
            choice,
            done,
        };
        self.shard(user_id).send(job).map_err(|_| Error::Internal)?;
        match tokio::time::timeout(SYNC_WAIT, wait).await {
            Ok(Ok(result)) => result,
            _ => Err(Error::Internal),
        }
    }

    /// A clean shutdown: this node's connections no longer count (their users go offline
    /// unless connected elsewhere, within a few seconds at most) and, in cluster mode, the
    /// node leaves Redis at once instead of waiting to be reaped.
    pub async fn shutdown(&self) {
        let users: Vec<String> = match self.local.lock() {
            Ok(mut local) => local.drain().map(|(user, _)| user).collect(),
            Err(_) => Vec::new(),
        };
        let syncs = users
            .iter()
            .map(|user| self.sync_now(user, false, SYNC_WAIT));
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            futures_util::future::join_all(syncs),
        )
        .await;
        if let Some(cluster) = &self.cluster
            && let Err(e) = cluster.leave().await
        {
            tracing::warn!(error = %e, "cannot remove this node's presence state from Redis");
        }
    }

    /// This node's connections of the user (for tests and diagnostics).
    pub fn local_connections(&self, user_id: &str) -> usize {
        self.local
            .lock()
            .map(|l| l.get(user_id).map_or(0, HashMap::len))
            .unwrap_or(0)
    }

    /// The user's best connection status across the cluster, with this node's written, and
    /// whether that came from Redis (`false`: only this node's view). Unless `strict`, Redis
    /// is not even asked while it is known to be failing.
    async fn cluster_status(&self, user_id: &str, strict: bool) -> (Option<ConnStatus>, bool) {
        let mine = self.local_best(user_id);
        let Some(cluster) = &self.cluster else {
            return (mine, true);
        };
        if !strict && self.redis_failed.load(Ordering::Relaxed) {
            // Redis failed lately: do not wait on it for every user. The heartbeat probes it
            // and re-syncs everyone once it answers.
            return (mine, false);
        }
        match cluster.update_and_aggregate(user_id, mine).await {
            Ok(best) => (best, true),
            Err(e) => {
                if !self.redis_failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "Redis is unavailable; presence falls back to this node's connections until it is back");
                }
                (mine, false)
            }
        }
    }

    /// One sync of a user (see the module documentation). True when the stored user
    /// changed. A `strict` sync fails instead of using only this node's view.
    async fn sync(
        &self,
        state: &AppState,
        user_id: &str,
        choice: Option<&Choice>,
        strict: bool,
    ) -> Result<bool> {
        let mut chose = choice.is_some_and(|c| c.announce);
        if let Some(choice) = choice {
            chose |= state
                .store
                .set_user_status_choice(
                    user_id,
                    choice.status_default.as_deref(),
                    choice.status_text.as_deref(),
                    now_ms(),
                )
                .await?;
        }
        let mut changed = false;
        let (mut connection, mut reliable) = self.cluster_status(user_id, strict).await;
        if strict && !reliable {
            return Err(Error::Internal);
        }
        for _attempt in 0..5 {
            let Some(mut user) = state.store.user_by_id(user_id).await? else {
                return Ok(false);
            };
            let status = match (connection, choice) {
                (None, Some(choice)) if choice.keep_when_offline => choice
                    .status_default
                    .clone()
                    .unwrap_or_else(|| user.status.clone()),
                _ => effective_status(connection, &user.status_default),
            };
            let status_connection = connection.map_or("offline", ConnStatus::as_str);
            let wrote = state
                .store
                .set_user_presence(user_id, &status, status_connection, now_ms())
                .await?;
            if wrote || chose {
                user.status = status;
                user.status_connection = status_connection.to_owned();
                events::user_status(state, &user);
                chose = false;
                changed = true;
            }
            if self.cluster.is_none() || !reliable {
                break;
            }
            // Did another node change the user while this one wrote?
            let (again, ok) = self.cluster_status(user_id, strict).await;
            if again == connection || !ok {
                break;
            }
            (connection, reliable) = (again, ok);
        }
        Ok(changed)
    }

    /// Syncs the users the database says are connected but no live node has.
    async fn reconcile(&self, state: &AppState) {
        let stored = match state.store.users_marked_connected().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "presence reconciliation: cannot list users");
                return;
            }
        };
        let mut lost: Vec<String> = Vec::new();
        match &self.cluster {
            None => lost = stored,
            Some(cluster) => {
                for chunk in stored.chunks(1000) {
                    match cluster.aggregate_elsewhere(chunk).await {
                        Ok(found) => lost.extend(
                            chunk
                                .iter()
                                .zip(found)
                                .filter(|(_, status)| status.is_none())
                                .map(|(id, _)| id.clone()),
                        ),
                        Err(e) => {
                            tracing::warn!(error = %e, "presence reconciliation skipped: Redis is unavailable");
                            return;
                        }
                    }
                }
            }
        }
        let local: HashSet<String> = self.local_users().into_iter().collect();
        lost.retain(|id| !local.contains(id));
        if !lost.is_empty() {
            tracing::info!(
                users = lost.len(),
                "presence reconciliation: users without connections go offline"
            );
        }
        for id in &lost {
            self.queue_sync(id);
        }
    }

    /// Writes this node's whole state to Redis again (after Redis was unavailable, or
    /// when this node's heartbeat had expired).
    async fn resync(&self, cluster: &ClusterPresence) {
        self.redis_failed.store(false, Ordering::Relaxed);
        let mut users: HashSet<String> = self.local_users().into_iter().collect();
        match cluster.node_users(cluster.node_id()).await {
            Ok(stored) => users.extend(stored),
            Err(_) => {
                self.redis_failed.store(true, Ordering::Relaxed);
                return;
            }
        }
        if !users.is_empty() {
            tracing::info!(
                users = users.len(),
                "presence: writing this node's state to Redis again"
            );
        }
        for user in &users {
            self.queue_sync(user);
        }
    }
}

async fn worker(presence: Arc<Presence>, state: AppState, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        match job {
            Job::Sync {
                user_id,
                strict,
                done,
            } => {
                if done.is_none()
                    && let Ok(mut queued) = presence.queued.lock()
                {
                    queued.remove(&user_id);
                }
                let result = presence.sync(&state, &user_id, None, strict).await;
                if let Err(e) = &result
                    && !strict
                {
                    tracing::warn!(error = %e, user_id, "presence: cannot store a status change");
                }
                if let Some(done) = done {
                    let _ = done.send(result.ok());
                }
            }
            Job::Choose {
                user_id,
                choice,
                done,
            } => {
                let result = presence.sync(&state, &user_id, Some(&choice), false).await;
                let _ = done.send(result);
            }
        }
    }
}

/// Refreshes this node's heartbeat every third of the TTL; re-syncs when Redis comes
/// back or the heartbeat had lapsed.
async fn heartbeat(presence: Arc<Presence>, cluster: Arc<ClusterPresence>) {
    let mut tick = tokio::time::interval(presence.ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut down = false;
    loop {
        tick.tick().await;
        match cluster.heartbeat().await {
            Ok(was_alive) => {
                if down {
                    tracing::info!("Redis is reachable again");
                    down = false;
                }
                if !was_alive || presence.redis_failed.load(Ordering::Relaxed) {
                    presence.resync(&cluster).await;
                }
            }
            Err(e) => {
                if !down {
                    tracing::warn!(error = %e, "presence heartbeat failed; retrying");
                    down = true;
                }
                presence.redis_failed.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Every third of the TTL: takes dead nodes' users offline (unless connected elsewhere).
/// Every [`RECONCILE_EVERY`], and once at start: reconciles the database.
async fn reaper(presence: Arc<Presence>, state: AppState, cluster: Arc<ClusterPresence>) {
    let ttl = presence.ttl;
    let lock_ttl = (ttl * 3).max(Duration::from_secs(30));
    // Offset from the heartbeat, so that the first scan sees this node registered.
    tokio::time::sleep(ttl / 6).await;
    let mut tick = tokio::time::interval(ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_reconcile = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        let dead = match cluster.dead_nodes().await {
            Ok(dead) => dead,
            Err(_) => continue,
        };
        for node in dead {
            let lock = format!("reap:{node}");
            if !matches!(cluster.try_lock(&lock, lock_ttl).await, Ok(true)) {
                continue;
            }
            reap(&presence, &cluster, &node).await;
            let _ = cluster.unlock(&lock).await;
        }
        if tokio::time::Instant::now() >= next_reconcile {
            next_reconcile = tokio::time::Instant::now() + RECONCILE_EVERY;
            if matches!(cluster.try_lock("reconcile", lock_ttl).await, Ok(true)) {
                presence.reconcile(&state).await;
                let _ = cluster.unlock("reconcile").await;
            }
        }
    }
}

async fn reap(presence: &Presence, cluster: &ClusterPresence, node: &str) {
    let users = match cluster.node_users(node).await {
        Ok(users) => users,
        Err(e) => {
            tracing::warn!(error = %e, node, "cannot read a dead node's presence state");
            return;
        }
    };
    tracing::info!(
        node,
        users = users.len(),
        "a node stopped; its users go offline unless connected elsewhere"
    );
    // Strict: a user must not go offline because Redis failed to say where else they are.
    let syncs = users
        .iter()
        .map(|user| presence.sync_now(user, true, REAP_WAIT));
    let failed = futures_util::future::join_all(syncs)
        .await
        .iter()
        .filter(|done| done.is_none())
        .count();
    if failed > 0 {
        // Keep the node's state: the next scan reaps it again.
        tracing::warn!(
            node,
            failed,
            "could not sync every user of a dead node; will retry"
        );
        return;
    }
    match cluster.forget_node(node).await {
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, node, "cannot delete a dead node's presence state"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_connections_and_choice() {
        assert_eq!(effective_status(None, "busy"), "offline");
        assert_eq!(effective_status(Some(ConnStatus::Away), "online"), "away");
        assert_eq!(effective_status(Some(ConnStatus::Online), ""), "online");
        assert_eq!(effective_status(Some(ConnStatus::Online), "busy"), "busy");
        assert_eq!(
            effective_status(Some(ConnStatus::Away), "offline"),
            "offline"
        );
    }

    #[test]
    fn session_signals_are_recognised() {
        let frame = super::super::frames::changed(SESSION_STREAM, "u1", "null");
        assert!(is_session_signal(frame.as_str()));
        let other = super::super::frames::changed("stream-notify-user", "u1/x", "[]");
        assert!(!is_session_signal(other.as_str()));
    }
}
