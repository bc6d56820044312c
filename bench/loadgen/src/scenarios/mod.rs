//! The scenarios of issue 8, one module each, and what they share: the open-loop driver,
//! DDP session set-up, and the subscriptions a Rocket.Chat client makes.

pub mod cluster;
pub mod fanout;
pub mod history;
pub mod idle_conns;
pub mod idle_server;
pub mod logins;
pub mod posts;
pub mod presence;
pub mod reconnect;
pub mod search;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::ddp::{Ddp, DdpError};
use crate::manifest::{Manifest, SeedUser};
use crate::metrics::{Errors, Latencies, Summary};
use crate::report::Row;
use crate::rest::{Credentials, RestError};
use crate::runner::{Env, StoreHandle};
use crate::server::{Server, ServerError};

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error(transparent)]
    Ddp(#[from] DdpError),
    #[error(transparent)]
    Seed(#[from] crate::seed::SeedError),
    #[error("{0}")]
    Setup(String),
}

/// What every scenario gets: where to run, the seeded store and its manifest.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub store: &'a StoreHandle,
    pub manifest: &'a Manifest,
}

/// The scenarios, by number and name.
pub const ALL: &[(u8, &str)] = &[
    (1, "logins"),
    (2, "reconnect"),
    (3, "posts"),
    (4, "fanout"),
    (5, "idle-conns"),
    (6, "presence"),
    (7, "history"),
    (8, "search"),
    (9, "idle-server"),
    (10, "cluster"),
];

/// Runs one scenario by name; a failure becomes a row that says so.
pub async fn run(name: &str, ctx: &Ctx<'_>) -> Vec<Row> {
    let id = ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map_or(0, |(id, _)| *id);
    let name_static = ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map_or("unknown", |(_, n)| *n);
    let result = match name {
        "logins" => logins::run(ctx).await,
        "reconnect" => reconnect::run(ctx).await,
        "posts" => posts::run(ctx).await,
        "fanout" => fanout::run(ctx).await,
        "idle-conns" => idle_conns::run(ctx).await,
        "presence" => presence::run(ctx).await,
        "history" => history::run(ctx).await,
        "search" => search::run(ctx).await,
        "idle-server" => idle_server::run(ctx).await,
        "cluster" => cluster::run(ctx).await,
        other => Err(ScenarioError::Setup(format!("unknown scenario {other}"))),
    };
    let mut rows = result.unwrap_or_else(|e| vec![Row::failed(id, name_static, e.to_string())]);
    for row in &mut rows {
        row.store = ctx.env.store.name().to_owned();
    }
    rows
}

/// The outcome of a load loop.
pub struct LoadResult {
    pub latencies: Latencies,
    pub errors: Errors,
    pub ok: u64,
    /// From the first intended start to the last completion.
    pub elapsed: Duration,
}

impl LoadResult {
    pub fn summary(&self) -> Summary {
        self.latencies.summary()
    }

    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// Fills a row's measured fields.
    pub fn fill(&self, mut row: Row) -> Row {
        row.latency = Some(self.summary());
        row.rate = Some(self.rate());
        row.ok = self.ok;
        row.errors = self.errors.count();
        let samples = self.errors.samples();
        if !samples.is_empty() {
            row = row.note(format!("errors: {samples}"));
        }
        row
    }
}

/// Open loop: operation `i` is due at `start + i / rate` whatever happened before, and its
/// latency counts from that due time, so a stalled server is not hidden by a generator
/// that waits for it (coordinated omission). At most `max_in_flight` run at once; past
/// that an operation is counted as an error instead of queueing.
pub async fn open_loop<F, Fut>(
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
    op: F,
) -> LoadResult
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let latencies = Latencies::new();
    let errors = Errors::default();
    let ok = Arc::new(AtomicU64::new(0));
    let total = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let start = tokio::time::Instant::now() + Duration::from_millis(5);
    let mut tasks = JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            errors.record(format!("more than {max_in_flight} in flight"));
            continue;
        };
        let future = op(i);
        let (latencies, errors, ok) = (latencies.clone(), errors.clone(), ok.clone());
        tasks.spawn(async move {
            let outcome = future.await;
            drop(permit);
            match outcome {
                Ok(()) => {
                    latencies.record(due.elapsed());
                    ok.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => errors.record(e),
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    LoadResult {
        latencies,
        errors,
        ok: ok.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    }
}

/// Closed loop: `concurrency` workers, each starting its next operation when the last ends.
pub async fn closed_loop<F, Fut>(concurrency: usize, duration: Duration, op: F) -> LoadResult
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let latencies = Latencies::new();
    let errors = Errors::default();
    let ok = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let op = Arc::new(op);
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let (latencies, errors, ok, next, op) = (
            latencies.clone(),
            errors.clone(),
            ok.clone(),
            next.clone(),
            op.clone(),
        );
        tasks.spawn(async move {
            while start.elapsed() < duration {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let at = Instant::now();
                match op(i).await {
                    Ok(()) => {
                        latencies.record(at.elapsed());
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => errors.record(e),
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    LoadResult {
        latencies,
        errors,
        ok: ok.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    }
}

/// The server's DDP address.
pub fn ddp_addr(server: &Server) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), server.port)
}

/// Connections opened by this process so far (all scenarios).
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// The loopback source address of the `n`th connection of this process: 10k connections
/// per address keeps well within the ephemeral port range towards one server port, and
/// moving on to new addresses keeps clear of the ports a previous scenario's closed
/// connections still hold in TIME_WAIT. Each process starts at its own address (by process
/// id), so that runs one after another (a `run` each) do not meet the previous run's ports.
pub fn source_ip(n: u64) -> IpAddr {
    static FIRST_BLOCK: OnceLock<u64> = OnceLock::new();
    let first = *FIRST_BLOCK.get_or_init(|| 2 + u64::from(std::process::id()) % 1_000_000);
    source_ip_from(first, n)
}

fn source_ip_from(first_block: u64, n: u64) -> IpAddr {
    let block = first_block + n / 10_000;
    IpAddr::V4(Ipv4Addr::new(
        127,
        ((block / 62_500) % 250) as u8,
        ((block / 250) % 250) as u8,
        (block % 250) as u8 + 1,
    ))
}

pub fn credentials(user: &SeedUser) -> Credentials {
    Credentials {
        user_id: user.id.clone(),
        token: user.token.clone(),
    }
}

fn stream_params(event: &str) -> Value {
    json!([event, {"useCollection": false, "args": []}])
}

/// The user-stream events a Rocket.Chat client subscribes to after login.
pub fn user_subscriptions(uid: &str) -> Vec<(&'static str, Value)> {
    ["notification", "rooms-changed", "subscriptions-changed"]
        .iter()
        .map(|e| ("stream-notify-user", stream_params(&format!("{uid}/{e}"))))
        .collect()
}

/// A room's message stream.
pub fn room_subscription(rid: &str) -> (&'static str, Value) {
    ("stream-room-messages", stream_params(rid))
}

/// `user-status` of everyone (`stream-notify-logged`).
pub fn status_subscription() -> (&'static str, Value) {
    ("stream-notify-logged", stream_params("user-status"))
}

/// Connects, resumes the user's login and subscribes; the time taken is the caller's.
pub async fn session(
    addr: SocketAddr,
    token: &str,
    subs: &[(&str, Value)],
) -> Result<Ddp, DdpError> {
    let n = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let mut ddp = Ddp::connect(addr, Some(source_ip(n)), Duration::from_secs(30)).await?;
    ddp.login_resume(token).await?;
    if !subs.is_empty() {
        ddp.subscribe_all(subs).await?;
    }
    Ok(ddp)
}

/// Background pumps for many sessions, stopped together.
pub struct Pumps {
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<(), DdpError>>,
    ended: Arc<AtomicU64>,
}

impl Default for Pumps {
    fn default() -> Self {
        Self::new()
    }
}

impl Pumps {
    pub fn new() -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            stop,
            tasks: JoinSet::new(),
            ended: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn spawn(
        &mut self,
        ddp: Ddp,
        on_frame: impl FnMut(&str) + Send + 'static,
        outgoing: Option<tokio::sync::mpsc::Receiver<String>>,
    ) {
        let stop = self.stop.subscribe();
        let ended = self.ended.clone();
        self.tasks.spawn(async move {
            let stopping = stop.clone();
            let outcome = ddp.run(on_frame, outgoing, stop).await;
            if !*stopping.borrow() {
                ended.fetch_add(1, Ordering::Relaxed);
            }
            outcome
        });
    }

    /// How many sessions ended before [`Pumps::stop`] (closed by the server or failed).
    pub fn ended(&self) -> u64 {
        self.ended.load(Ordering::Relaxed)
    }

    /// Stops every pump; returns how many had failed.
    pub async fn stop(mut self) -> usize {
        let _ = self.stop.send(true);
        let mut failed = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
                Ok(Some(Ok(Ok(())))) => {}
                Ok(Some(_)) => failed += 1,
                Ok(None) => break,
                Err(_) => {
                    self.tasks.abort_all();
                    break;
                }
            }
        }
        failed
    }
}

/// Runs `count` set-ups with at most `concurrency` at once; returns the successes in order
/// of index (failures are recorded in `errors`) and the set-up latencies.
pub async fn connect_many<F, Fut, T>(
    count: u64,
    concurrency: usize,
    errors: &Errors,
    setup: F,
) -> (Vec<(u64, T)>, Latencies)
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<T, DdpError>> + Send + 'static,
    T: Send + 'static,
{
    let latencies = Latencies::new();
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for i in 0..count {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let future = setup(i);
        let latencies = latencies.clone();
        tasks.spawn(async move {
            let at = Instant::now();
            let out = future.await;
            drop(permit);
            if out.is_ok() {
                latencies.record(at.elapsed());
            }
            (i, out)
        });
    }
    let mut done = Vec::with_capacity(count as usize);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, Ok(t))) => done.push((i, t)),
            Ok((_, Err(e))) => errors.record(e.to_string()),
            Err(e) => errors.record(e.to_string()),
        }
    }
    done.sort_by_key(|(i, _)| *i);
    (done, latencies)
}

/// A 200-byte chat message, with `@mate` in front when asked.
pub fn message_text(i: u64, mention: Option<&str>) -> String {
    let mut text = match mention {
        Some(mate) => format!("@{mate} "),
        None => String::new(),
    };
    let words = &crate::seed::plan::VOCABULARY;
    let mut k = i.wrapping_mul(2_654_435_761);
    while text.len() < 200 {
        text.push_str(words[(k % words.len() as u64) as usize]);
        text.push(' ');
        k = k.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    text.truncate(200);
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_spread_over_loopback() {
        assert_eq!(
            source_ip_from(2, 0),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3))
        );
        assert_eq!(source_ip_from(2, 9_999), source_ip_from(2, 0));
        assert_ne!(source_ip_from(2, 10_000), source_ip_from(2, 0));
        assert_eq!(
            source_ip_from(2, 2_480_000),
            IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1))
        );
        assert_eq!(source_ip(9_999), source_ip(0));
        assert_ne!(source_ip(10_000), source_ip(0));
        // Far from the server's 127.0.0.1 whatever the process id.
        assert_eq!(
            source_ip_from(2 + 999_999, 5_000_000),
            IpAddr::V4(Ipv4Addr::new(127, 16, 2, 2))
        );
    }

    #[test]
    fn messages_are_about_200_bytes() {
        let plain = message_text(7, None);
        assert!((190..=200).contains(&plain.len()), "{}", plain.len());
        assert!(message_text(7, Some("bench1")).starts_with("@bench1 "));
    }
}
