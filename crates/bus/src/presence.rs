//! The Redis side of cluster presence: which users each node has connections for, and
//! which nodes are alive.
//!
//! Keys (all under a configurable prefix, `ferrochat:` by default):
//! - `<prefix>presence:nodes`: a set of the node ids that have registered (it expires like
//!   the hashes below).
//! - `<prefix>presence:alive:<node>`: the node's heartbeat, refreshed every `ttl / 3` with
//!   a time to live of `ttl`. A node whose key has expired is dead.
//! - `<prefix>presence:node:<node>`: a hash of user id → the best status of that user's
//!   connections on the node (`online` or `away`). A user without connections there has no
//!   field. It also expires (after [`STATE_TTL_FACTOR`] × `ttl`, refreshed by the
//!   heartbeat), so the state of a whole cluster that went away does not stay for ever.
//! - `<prefix>presence:lock:<name>`: short locks (`SET NX PX`) so that one node reaps a
//!   dead node and one node reconciles at start.
//!
//! A user's status across the cluster is the best status among the live nodes' hashes,
//! computed in Redis by a script in the same step that writes this node's field, so that a
//! node never reads a state older than its own write. Every command has a timeout; an
//! unreachable Redis gives an error and the caller carries on with what it knows locally.

use std::time::Duration;

use tokio::sync::Mutex;

/// A Redis failure: unreachable, too slow, or an error reply.
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {COMMAND_TIMEOUT:?}")]
    Timeout,
}

/// How many heartbeat TTLs a node's hash survives without being refreshed.
pub const STATE_TTL_FACTOR: u64 = 360;

/// How long one Redis command may take before the connection counts as broken.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The status of a user's connections, best first: `online` beats `away`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnStatus {
    Away,
    Online,
}

impl ConnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnStatus::Online => "online",
            ConnStatus::Away => "away",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "online" => Some(ConnStatus::Online),
            "away" => Some(ConnStatus::Away),
            _ => None,
        }
    }
}

/// Writes this node's field for a user (`ARGV[4]`, empty = no connections) and returns the
/// user's best status on the live nodes ("" when none). This node counts as alive.
const UPDATE_AND_AGGREGATE: &str = r"
local prefix, me, uid, mine = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local hash = prefix .. 'node:' .. me
if mine == '' then
  redis.call('HDEL', hash, uid)
else
  redis.call('HSET', hash, uid, mine)
end
if mine == 'online' then return 'online' end
local best = mine
for _, node in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if node ~= me and redis.call('EXISTS', prefix .. 'alive:' .. node) == 1 then
    local s = redis.call('HGET', prefix .. 'node:' .. node, uid)
    if s == 'online' then return 'online' end
    if s == 'away' then best = 'away' end
  end
end
return best
";

/// The best status of each user (`ARGV[3..]`) on the live nodes other than `ARGV[2]`.
const AGGREGATE: &str = r"
local prefix, me = ARGV[1], ARGV[2]
local live = {}
for _, node in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if node ~= me and redis.call('EXISTS', prefix .. 'alive:' .. node) == 1 then
    table.insert(live, prefix .. 'node:' .. node)
  end
end
local out = {}
for i = 3, #ARGV do
  local best = ''
  for _, hash in ipairs(live) do
    local s = redis.call('HGET', hash, ARGV[i])
    if s == 'online' then best = 'online' break end
    if s == 'away' then best = 'away' end
  end
  table.insert(out, best)
end
return out
";

/// Forgets a dead node's state, unless it came back meanwhile. Returns 1 when forgotten.
const FORGET_NODE: &str = r"
local prefix, node = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. 'alive:' .. node) == 1 then return 0 end
redis.call('DEL', prefix .. 'node:' .. node)
redis.call('SREM', prefix .. 'nodes', node)
return 1
";

/// Releases a lock if this node still holds it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// One node's view of the cluster presence in Redis. Cheap to share behind an `Arc`.
pub struct ClusterPresence {
    client: redis::Client,
    connection: Mutex<Option<redis::aio::MultiplexedConnection>>,
    prefix: String,
    node_id: String,
    ttl: Duration,
}

impl ClusterPresence {
    /// `prefix` is prepended to every key (`<prefix>presence:...`). Fails only on a
    /// malformed URL; Redis itself is reached lazily.
    pub fn new(
        url: &str,
        prefix: &str,
        node_id: &str,
        ttl: Duration,
    ) -> Result<Self, PresenceError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: Mutex::new(None),
            prefix: format!("{prefix}presence:"),
            node_id: node_id.to_owned(),
            ttl,
        })
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        key.push_str(&parts.concat());
        key
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, PresenceError> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Runs a command or pipeline; a failure drops the connection so the next call
    /// reconnects.
    async fn run<T: redis::FromRedisValue>(
        &self,
        what: impl AsyncFnOnce(&mut redis::aio::MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Result<T, PresenceError> {
        let mut conn = self.connection().await?;
        let outcome = match tokio::time::timeout(COMMAND_TIMEOUT, what(&mut conn)).await {
            Ok(outcome) => outcome.map_err(PresenceError::from),
            Err(_) => Err(PresenceError::Timeout),
        };
        if outcome.is_err() {
            *self.connection.lock().await = None;
        }
        outcome
    }

    /// Writes this node's status for a user (`None`: no connections left here) and returns
    /// the user's best status across the live nodes.
    pub async fn update_and_aggregate(
        &self,
        user_id: &str,
        mine: Option<ConnStatus>,
    ) -> Result<Option<ConnStatus>, PresenceError> {
        let best: String = self
            .run(async |conn| {
                redis::cmd("EVAL")
                    .arg(UPDATE_AND_AGGREGATE)
                    .arg(0)
                    .arg(&self.prefix)
                    .arg(&self.node_id)
                    .arg(user_id)
                    .arg(mine.map(ConnStatus::as_str).unwrap_or(""))
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(ConnStatus::parse(&best))
    }

    /// The best status of each user on the live nodes other than this one.
    pub async fn aggregate_elsewhere(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<Option<ConnStatus>>, PresenceError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<String> = self
            .run(async |conn| {
                redis::cmd("EVAL")
                    .arg(AGGREGATE)
                    .arg(0)
                    .arg(&self.prefix)
                    .arg(&self.node_id)
                    .arg(user_ids)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(found.iter().map(|s| ConnStatus::parse(s)).collect())
    }

    /// Refreshes this node's heartbeat and registration. Returns false when the heartbeat
    /// had expired (or Redis lost it): other nodes may have reaped this node, so its state
    /// must be written again.
    pub async fn heartbeat(&self) -> Result<bool, PresenceError> {
        let alive = self.key(&["alive:", &self.node_id]);
        let hash = self.key(&["node:", &self.node_id]);
        let nodes = self.key(&["nodes"]);
        let ttl = self.ttl.as_millis() as u64;
        let (refreshed, _, _, _): (i64, i64, i64, i64) = self
            .run(async |conn| {
                redis::pipe()
                    .cmd("PEXPIRE")
                    .arg(&alive)
                    .arg(ttl)
                    .cmd("SADD")
                    .arg(&nodes)
                    .arg(&self.node_id)
                    .cmd("PEXPIRE")
                    .arg(&nodes)
                    .arg(ttl * STATE_TTL_FACTOR)
                    .cmd("PEXPIRE")
                    .arg(&hash)
                    .arg(ttl * STATE_TTL_FACTOR)
                    .query_async(conn)
                    .await
            })
            .await?;
        if refreshed == 1 {
            return Ok(true);
        }
        let _: () = self
            .run(async |conn| {
                redis::cmd("SET")
                    .arg(&alive)
                    .arg("1")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(false)
    }

    /// Registered nodes whose heartbeat has expired.
    pub async fn dead_nodes(&self) -> Result<Vec<String>, PresenceError> {
        let nodes: Vec<String> = self
            .run(async |conn| {
                redis::cmd("SMEMBERS")
                    .arg(self.key(&["nodes"]))
                    .query_async(conn)
                    .await
            })
            .await?;
        let others: Vec<String> = nodes.into_iter().filter(|n| *n != self.node_id).collect();
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let alive: Vec<i64> = self
            .run(async |conn| {
                let mut pipe = redis::pipe();
                for node in &others {
                    pipe.cmd("EXISTS").arg(self.key(&["alive:", node]));
                }
                pipe.query_async(conn).await
            })
            .await?;
        Ok(others
            .into_iter()
            .zip(alive)
            .filter(|(_, alive)| *alive == 0)
            .map(|(node, _)| node)
            .collect())
    }

    /// The users a node has connections for.
    pub async fn node_users(&self, node: &str) -> Result<Vec<String>, PresenceError> {
        self.run(async |conn| {
            redis::cmd("HKEYS")
                .arg(self.key(&["node:", node]))
                .query_async(conn)
                .await
        })
        .await
    }

    /// Deletes a dead node's state unless its heartbeat came back. True when deleted.
    pub async fn forget_node(&self, node: &str) -> Result<bool, PresenceError> {
        let done: i64 = self
            .run(async |conn| {
                redis::cmd("EVAL")
                    .arg(FORGET_NODE)
                    .arg(0)
                    .arg(&self.prefix)
                    .arg(node)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(done == 1)
    }

    /// Removes this node from the cluster (a clean shutdown).
    pub async fn leave(&self) -> Result<(), PresenceError> {
        let (alive, hash, nodes) = (
            self.key(&["alive:", &self.node_id]),
            self.key(&["node:", &self.node_id]),
            self.key(&["nodes"]),
        );
        let _: (i64, i64, i64) = self
            .run(async |conn| {
                redis::pipe()
                    .cmd("DEL")
                    .arg(&hash)
                    .cmd("SREM")
                    .arg(&nodes)
                    .arg(&self.node_id)
                    .cmd("DEL")
                    .arg(&alive)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Takes the lock `name` for `ttl` unless someone holds it.
    pub async fn try_lock(&self, name: &str, ttl: Duration) -> Result<bool, PresenceError> {
        let set: Option<String> = self
            .run(async |conn| {
                redis::cmd("SET")
                    .arg(self.key(&["lock:", name]))
                    .arg(&self.node_id)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis() as u64)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(set.is_some())
    }

    /// Releases a lock this node holds.
    pub async fn unlock(&self, name: &str) -> Result<(), PresenceError> {
        let _: i64 = self
            .run(async |conn| {
                redis::cmd("EVAL")
                    .arg(UNLOCK)
                    .arg(1)
                    .arg(self.key(&["lock:", name]))
                    .arg(&self.node_id)
                    .query_async(conn)
                    .await
            })
            .await?;
        Ok(())
    }
}
