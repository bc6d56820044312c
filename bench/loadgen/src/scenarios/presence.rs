//! Scenario 6: presence churn. U users online over DDP, some of them observing
//! `user-status` on `stream-notify-logged`; 1 % of the users change status each second
//! (`UserPresence:away` / `UserPresence:online`, what a client's idle timer calls).
//! Latency runs from the method call to each observer's `user-status` event.
//! Target: p99 propagation < 500 ms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Ctx, Pumps, ScenarioError, connect_many, ddp_addr, session, status_subscription};
use crate::ddp::Ddp;
use crate::metrics::{Errors, Latencies};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_most};

const ID: u8 = 6;
const NAME: &str = "presence";
const ONLINE: u64 = 1;
const AWAY: u64 = 2;
/// The login wave counts as over after this long without a status event...
const WAVE_QUIET: Duration = Duration::from_secs(1);
/// ... or after this long in any case.
const WAVE_MAX: Duration = Duration::from_secs(120);

/// Status changes in flight: user id → (expected status code, when it was asked).
type Pending = Arc<Mutex<HashMap<String, (u64, Instant)>>>;

/// `user-status` args: `[[uid, username, status, text, name, roles]]`.
fn status_event(frame: &str) -> Option<(String, u64)> {
    if !frame.contains("\"user-status\"") {
        return None;
    }
    let frame: Value = serde_json::from_str(frame).ok()?;
    let entry = frame["fields"]["args"].get(0)?;
    Some((entry.get(0)?.as_str()?.to_owned(), entry.get(2)?.as_u64()?))
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let users_n = p.presence_users.min(ctx.manifest.users.len() as u64);
    let observers = p.presence_observers.min(users_n);
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let addr = ddp_addr(&server);
    let users = Arc::new(ctx.manifest.users.clone());
    let errors = Errors::default();
    let (sessions, connect) = connect_many(users_n, 200, &errors, |i| {
        let users = users.clone();
        async move {
            let user = &users[i as usize];
            let subs = if i < observers {
                vec![status_subscription()]
            } else {
                Vec::new()
            };
            session(addr, &user.token, &subs).await
        }
    })
    .await;
    let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
    let latencies = Latencies::new();
    // When an observer last heard a `user-status` event, in ms after `wave_start`.
    let wave_start = Instant::now();
    let last_status = Arc::new(AtomicU64::new(0));
    let mut pumps = Pumps::new();
    let mut senders: Vec<(usize, mpsc::Sender<String>)> = Vec::new();
    for (i, ddp) in sessions {
        let (tx, rx) = mpsc::channel(8);
        senders.push((i as usize, tx));
        if i < observers {
            let (pending, latencies) = (pending.clone(), latencies.clone());
            let last_status = last_status.clone();
            pumps.spawn(
                ddp,
                move |frame| {
                    let Some((uid, code)) = status_event(frame) else {
                        return;
                    };
                    last_status.store(wave_start.elapsed().as_millis() as u64, Ordering::Relaxed);
                    if let Ok(pending) = pending.lock()
                        && let Some((expected, asked)) = pending.get(&uid)
                        && *expected == code
                    {
                        latencies.record(asked.elapsed());
                    }
                },
                Some(rx),
            );
        } else {
            pumps.spawn(ddp, |_| {}, Some(rx));
        }
    }
    // Let the login wave's own status events pass: every login is a status change that
    // reaches every observer. The churn is measured once the observers have heard nothing
    // for a second, not while the server still works through the wave.
    let wave_drained = loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = wave_start.elapsed();
        let last = Duration::from_millis(last_status.load(Ordering::Relaxed));
        if now.saturating_sub(last) >= WAVE_QUIET || now >= WAVE_MAX {
            break last;
        }
    };

    let online = senders.len();
    if online == 0 {
        server.stop().await;
        return Err(ScenarioError::Setup(format!(
            "no session connected: {}",
            errors.samples()
        )));
    }
    let rate = (online as f64 * 0.01).max(1.0);
    let changes = (rate * p.presence_secs as f64).round() as u64;
    let mut away = vec![false; online];
    let send_errors = Errors::default();
    let sampler = Sampler::start(&[server.pid()]);
    let start = tokio::time::Instant::now();
    for c in 0..changes {
        tokio::time::sleep_until(start + Duration::from_secs_f64(c as f64 / rate)).await;
        // Walk the users with a stride so that each changes rarely.
        let k = (c as usize * 7919) % online;
        let (user_index, tx) = &senders[k];
        away[k] = !away[k];
        let (method, code) = if away[k] {
            ("UserPresence:away", AWAY)
        } else {
            ("UserPresence:online", ONLINE)
        };
        let uid = users[*user_index].id.clone();
        if let Ok(mut pending) = pending.lock() {
            pending.insert(uid, (code, Instant::now()));
        }
        let frame = Ddp::method_frame(method, json!([]), &format!("p{c}"));
        if tx.try_send(frame).is_err() {
            send_errors.record("session queue full or closed");
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let usage = sampler.finish();
    let dropped = pumps.ended();
    pumps.stop().await;
    server.stop().await;

    let summary = latencies.summary();
    let expected = changes * observers;
    let missing = expected.saturating_sub(summary.count);
    let mut row = Row::new(
        ID,
        NAME,
        format!("{online} online, {rate:.0} changes/s, {observers} observers"),
    )
    .target("p99 < 500 ms")
    .note(format!(
        "{}/{expected} status events seen; sessions connected in p99 {:.0} ms; \
         the login wave's status events reached the observers until {:.1} s after the last login",
        summary.count,
        connect.summary().p99_ms,
        wave_drained.as_secs_f64()
    ));
    row.latency = Some(summary);
    row.ok = summary.count;
    row.rate = Some(changes as f64 / p.presence_secs.max(1) as f64);
    row.errors = errors.count() + send_errors.count() + missing + dropped;
    row.usage = Some(usage);
    for samples in [errors.samples(), send_errors.samples()] {
        if !samples.is_empty() {
            row = row.note(format!("errors: {samples}"));
        }
    }
    row.verdict = if missing > 0 {
        Verdict::Missed(format!(
            "{missing} of {expected} status events never arrived"
        ))
    } else {
        at_most(summary.p99_ms, 500.0, "ms")
    };
    Ok(vec![row])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_status_events() {
        let frame = r#"{"msg":"changed","collection":"stream-notify-logged","id":"id","fields":{"eventName":"user-status","args":[["u1","bench1",2,"","Bench User 1",["user"]]]}}"#;
        assert_eq!(status_event(frame), Some(("u1".into(), 2)));
        assert_eq!(status_event(r#"{"msg":"result","id":"1"}"#), None);
    }
}
