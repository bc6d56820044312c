//! Scenario 5: idle authenticated DDP connections, each subscribed to its user stream and
//! five rooms; the server's RSS per connection. Runs smaller than 100k project linearly.
//! Target: 100k connections in ≤ 1.5 GiB server RSS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    Ctx, Pumps, ScenarioError, connect_many, ddp_addr, room_subscription, session,
    user_subscriptions,
};
use crate::metrics::Errors;
use crate::procfs::{self, Sampler};
use crate::report::{Row, Verdict, at_most};

const ID: u8 = 5;
const NAME: &str = "idle-conns";
const TARGET_CONNECTIONS: f64 = 100_000.0;
const TARGET_MIB: f64 = 1536.0;

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let addr = ddp_addr(&server);
    let pid = server.pid().to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = procfs::rss_kib(&pid).unwrap_or(0) as f64 / 1024.0;
    let users = Arc::new(ctx.manifest.users.clone());
    // Public rooms anyone may read, to make up five rooms for users with fewer.
    let mut public: Vec<String> = vec![ctx.manifest.big_room.id.clone()];
    public.extend(ctx.manifest.fanout_rooms.iter().map(|r| r.id.clone()));
    let public = Arc::new(public);
    // Each connection is a descriptor here and one in the server: stay under the limit.
    let fd_limit = crate::rlimit::current_nofile().unwrap_or(1024);
    let count = p.idle_connections.min(fd_limit.saturating_sub(2_000));
    let capped = count < p.idle_connections;
    let errors = Errors::default();
    let sampler = Sampler::start(&[server.pid()]);
    let started = Instant::now();
    let (sessions, connect) = connect_many(count, 256, &errors, |i| {
        let (users, public) = (users.clone(), public.clone());
        async move {
            let user = &users[(i as usize) % users.len()];
            let mut subs = user_subscriptions(&user.id);
            let mut rooms: Vec<&str> = user.rooms.iter().map(|r| r.id.as_str()).collect();
            for id in public.iter() {
                if rooms.len() >= 5 {
                    break;
                }
                if !rooms.contains(&id.as_str()) {
                    rooms.push(id);
                }
            }
            subs.extend(rooms.iter().take(5).map(|r| room_subscription(r)));
            session(addr, &user.token, &subs).await
        }
    })
    .await;
    let open_secs = started.elapsed().as_secs_f64();
    let connected = sessions.len() as u64;
    let mut pumps = Pumps::new();
    for (_, ddp) in sessions {
        pumps.spawn(ddp, |_| {}, None);
    }
    // Let allocations settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let usage = sampler.finish();
    let rss_after = procfs::rss_kib(&pid).unwrap_or(0) as f64 / 1024.0;
    let dropped = pumps.ended();
    let own_rss = procfs::rss_kib("self").unwrap_or(0) as f64 / 1024.0;
    pumps.stop().await;
    server.stop().await;

    let per_conn_kib = if connected > 0 {
        (rss_after - rss_before).max(0.0) * 1024.0 / connected as f64
    } else {
        0.0
    };
    let projected = rss_before + per_conn_kib * TARGET_CONNECTIONS / 1024.0;
    let mut row = Row::new(ID, NAME, format!("{count} connections, 8 subs each"))
        .target("100k in ≤ 1.5 GiB")
        .note(format!(
            "RSS {rss_before:.0} → {rss_after:.0} MiB, {per_conn_kib:.1} KiB per connection; \
             100k projected {projected:.0} MiB; opened in {open_secs:.1} s; generator RSS {own_rss:.0} MiB"
        ));
    row.latency = Some(connect.summary());
    row.ok = connected;
    row.errors = errors.count() + dropped;
    row.rate = Some(connected as f64 / open_secs.max(1e-3));
    row.usage = Some(usage);
    let samples = errors.samples();
    if !samples.is_empty() {
        row = row.note(format!("errors: {samples}"));
    }
    if capped {
        row = row.note(format!(
            "capped from {} by RLIMIT_NOFILE {fd_limit} (hard limit; not raisable here)",
            p.idle_connections
        ));
    }
    if dropped > 0 {
        row = row.note(format!("{dropped} closed by the server while idle"));
    }
    row.verdict = if connected < count {
        Verdict::Missed(format!("only {connected} of {count} connected"))
    } else {
        at_most(projected, TARGET_MIB, "MiB")
    };
    Ok(vec![row])
}
