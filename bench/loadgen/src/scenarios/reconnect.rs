//! Scenario 2: a reconnect storm. Clients arrive at a fixed rate (10k within 10 s in the
//! full profile), each opening a WebSocket, resuming its login and subscribing to its user
//! stream and rooms; connect→ready is measured from each client's due time.
//! Target: all succeed, p99 connect→ready < 2 s.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Ctx, ScenarioError, ddp_addr, room_subscription, session, user_subscriptions};
use crate::ddp::Ddp;
use crate::metrics::{Errors, Latencies};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_most};

const ID: u8 = 2;
const NAME: &str = "reconnect";

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let addr = ddp_addr(&server);
    let users = Arc::new(ctx.manifest.users.clone());
    let clients = p.reconnect_clients;
    let window = Duration::from_secs_f64(p.reconnect_window_secs);
    let latencies = Latencies::new();
    let errors = Errors::default();
    let open: Arc<Mutex<Vec<Ddp>>> = Arc::new(Mutex::new(Vec::new()));

    let sampler = Sampler::start(&[server.pid()]);
    let start = tokio::time::Instant::now() + Duration::from_millis(5);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..clients {
        let due = start + window.mul_f64(i as f64 / clients as f64);
        tokio::time::sleep_until(due).await;
        let (users, latencies, errors, open) = (
            users.clone(),
            latencies.clone(),
            errors.clone(),
            open.clone(),
        );
        tasks.spawn(async move {
            let user = &users[(i as usize) % users.len()];
            let mut subs = user_subscriptions(&user.id);
            subs.extend(user.rooms.iter().map(|r| room_subscription(&r.id)));
            match session(addr, &user.token, &subs).await {
                Ok(ddp) => {
                    latencies.record(due.elapsed());
                    if let Ok(mut open) = open.lock() {
                        open.push(ddp);
                    }
                }
                Err(e) => errors.record(e.to_string()),
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let all_ready = start.elapsed();
    let usage = sampler.finish();
    let connected = open.lock().map(|o| o.len()).unwrap_or(0);
    if let Ok(mut open) = open.lock() {
        open.clear();
    }
    server.stop().await;

    let summary = latencies.summary();
    let mut row = Row::new(
        ID,
        NAME,
        format!("{clients} clients in {:.0} s", window.as_secs_f64()),
    )
    .target("all ok, p99 < 2 s")
    .note(format!(
        "all ready after {:.1} s; {connected} held open at once",
        all_ready.as_secs_f64()
    ));
    row.latency = Some(summary);
    row.ok = summary.count;
    row.errors = errors.count();
    row.rate = Some(summary.count as f64 / all_ready.as_secs_f64().max(1e-3));
    row.usage = Some(usage);
    let samples = errors.samples();
    if !samples.is_empty() {
        row = row.note(format!("errors: {samples}"));
    }
    row.verdict = if row.errors > 0 {
        Verdict::Missed(format!("{} of {clients} failed", row.errors))
    } else {
        at_most(summary.p99_ms, 2000.0, "ms")
    };
    Ok(vec![row])
}
