//! Scenario 4: fan-out. N members of one room are online over DDP, subscribed to its
//! message stream; a member posts 10 messages a second over REST. Latency runs from the
//! moment a post is sent to the moment the last subscriber receives it.
//! Target: N=100 p99 < 20 ms; N=1,000 p99 < 50 ms; N=10,000 p99 < 250 ms.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{
    Ctx, Pumps, ScenarioError, connect_many, credentials, ddp_addr, room_subscription, session,
};
use crate::manifest::Manifest;
use crate::metrics::{Errors, Latencies, Summary};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_most};
use crate::rest::Rest;

const ID: u8 = 4;
const NAME: &str = "fanout";
const RATE: f64 = 10.0;
const MARK: &str = "fan#";

/// The target p99 for N subscribers.
pub fn target_ms(n: u64) -> f64 {
    match n {
        0..=100 => 20.0,
        101..=1000 => 50.0,
        _ => 250.0,
    }
}

/// Arrival bookkeeping shared by every subscriber.
struct Arrivals {
    base: Instant,
    /// Per message: when it was sent and when the last arrival so far came (ns after base).
    sent: Vec<AtomicU64>,
    last: Vec<AtomicU64>,
    count: Vec<AtomicU64>,
    each: Latencies,
}

impl Arrivals {
    fn note(&self, frame: &str) {
        let Some(at) = frame.find(MARK) else {
            return;
        };
        let digits: String = frame[at + MARK.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(seq) = digits.parse::<usize>() else {
            return;
        };
        let (Some(sent), Some(last), Some(count)) =
            (self.sent.get(seq), self.last.get(seq), self.count.get(seq))
        else {
            return;
        };
        let now = self.base.elapsed().as_nanos() as u64;
        last.fetch_max(now, Ordering::Relaxed);
        count.fetch_add(1, Ordering::Relaxed);
        let sent = sent.load(Ordering::Relaxed);
        if sent > 0 {
            self.each
                .record(Duration::from_nanos(now.saturating_sub(sent)));
        }
    }
}

pub struct FanResult {
    pub subscribers: u64,
    /// Per message: sent → last subscriber.
    pub last: Summary,
    /// Per delivery: sent → that subscriber.
    pub each: Summary,
    pub messages: u64,
    pub deliveries: u64,
    pub expected: u64,
    pub post_errors: Errors,
    pub connect_errors: Errors,
    pub connect: Summary,
    pub usage: crate::procfs::Usage,
}

/// Connects `n` members of the fan-out room to `sub_addr`, posts through `post` for
/// `duration`, and measures. `pids` are the servers to sample.
pub async fn measure(
    manifest: &Manifest,
    post: &Rest,
    sub_addr: SocketAddr,
    n: u64,
    duration: Duration,
    pids: &[u32],
) -> Result<FanResult, ScenarioError> {
    let room = manifest
        .fanout_room(n)
        .ok_or_else(|| ScenarioError::Setup(format!("no fan-out room of {n} members seeded")))?;
    let messages = (RATE * duration.as_secs_f64()).round() as u64;
    let arrivals = Arc::new(Arrivals {
        base: Instant::now(),
        sent: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        last: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        count: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        each: Latencies::new(),
    });
    let users = Arc::new(manifest.users.clone());
    let rid = room.id.clone();
    let connect_errors = Errors::default();
    let (sessions, connect) = connect_many(n, 200, &connect_errors, |i| {
        let (users, rid) = (users.clone(), rid.clone());
        async move {
            let user = &users[i as usize];
            session(sub_addr, &user.token, &[room_subscription(&rid)]).await
        }
    })
    .await;
    let subscribers = sessions.len() as u64;
    let mut pumps = Pumps::new();
    for (_, ddp) in sessions {
        let arrivals = arrivals.clone();
        pumps.spawn(ddp, move |frame| arrivals.note(frame), None);
    }
    let poster = credentials(&manifest.users[0]);
    let post_errors = Errors::default();
    let sampler = Sampler::start(pids);
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..messages {
        tokio::time::sleep_until(started + Duration::from_secs_f64(seq as f64 / RATE)).await;
        let (post, poster, rid, arrivals, errors) = (
            post.clone(),
            poster.clone(),
            rid.clone(),
            arrivals.clone(),
            post_errors.clone(),
        );
        tasks.spawn(async move {
            let text = format!("{MARK}{seq}# {}", super::message_text(seq, None));
            let now = arrivals.base.elapsed().as_nanos() as u64;
            arrivals.sent[seq as usize].store(now.max(1), Ordering::Relaxed);
            if let Err(e) = post.send_message(&poster, &rid, &text).await {
                errors.record(e.to_string());
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    // Wait for stragglers, up to 5 s.
    let expected = subscribers * messages;
    let deadline = Instant::now() + Duration::from_secs(5);
    let delivered = || -> u64 {
        arrivals
            .count
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    };
    while delivered() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let usage = sampler.finish();
    let deliveries = delivered();
    let last = Latencies::new();
    for seq in 0..messages as usize {
        let sent = arrivals.sent[seq].load(Ordering::Relaxed);
        let at = arrivals.last[seq].load(Ordering::Relaxed);
        if sent > 0 && at > 0 && arrivals.count[seq].load(Ordering::Relaxed) == subscribers {
            last.record(Duration::from_nanos(at.saturating_sub(sent)));
        }
    }
    pumps.stop().await;
    Ok(FanResult {
        subscribers,
        last: last.summary(),
        each: arrivals.each.summary(),
        messages,
        deliveries,
        expected,
        post_errors,
        connect_errors,
        connect: connect.summary(),
        usage,
    })
}

/// The row of one fan-out measurement.
pub fn row(id: u8, name: &'static str, case: String, n: u64, r: &FanResult) -> Row {
    let target = target_ms(n);
    let mut row = Row::new(id, name, case)
        .target(format!("p99 < {target:.0} ms"))
        .note(format!(
            "per delivery p50 {:.1} / p99 {:.1} ms; {}/{} deliveries; {} subscribers connected (p99 {:.0} ms)",
            r.each.p50_ms, r.each.p99_ms, r.deliveries, r.expected, r.subscribers, r.connect.p99_ms
        ));
    row.latency = Some(r.last);
    row.ok = r.last.count;
    row.rate = Some(r.deliveries as f64 / r.usage.seconds.max(1e-3));
    let missing = r.expected.saturating_sub(r.deliveries);
    row.errors = r.post_errors.count() + r.connect_errors.count() + missing;
    for samples in [r.post_errors.samples(), r.connect_errors.samples()] {
        if !samples.is_empty() {
            row = row.note(format!("errors: {samples}"));
        }
    }
    row.usage = Some(r.usage);
    row.verdict = if r.subscribers < n {
        Verdict::Missed(format!(
            "only {} of {n} subscribers connected",
            r.subscribers
        ))
    } else if missing > 0 {
        Verdict::Missed(format!("{missing} deliveries missing"))
    } else {
        at_most(r.last.p99_ms, target, "ms")
    };
    row
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let mut rows = Vec::new();
    for &n in &p.fanout_sizes {
        if n > ctx.manifest.users.len() as u64 {
            rows.push(Row {
                verdict: Verdict::NotApplicable(format!(
                    "only {} users seeded",
                    ctx.manifest.users.len()
                )),
                ..Row::new(ID, NAME, format!("N={n}"))
            });
            continue;
        }
        // A fresh server per size, so one size's connections do not weigh on the next.
        let server = ctx.env.start(ctx.store, NAME, &[]).await?;
        let rest = Rest::new(&server.base_url)?;
        let result = measure(
            ctx.manifest,
            &rest,
            ddp_addr(&server),
            n,
            Duration::from_secs(p.fanout_secs),
            &[server.pid()],
        )
        .await;
        server.stop().await;
        let result = result?;
        rows.push(row(ID, NAME, format!("N={n}, 10 msg/s"), n, &result));
    }
    Ok(rows)
}
