//! Scenario 10: two nodes on PostgreSQL + Redis. The posts of scenario 3 (sent to node A)
//! and the fan-out of scenario 4 (posted on node A, subscribers on node B), each measured
//! first on one node without Redis and then on the pair; the rows give the overhead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{Ctx, ScenarioError, ddp_addr, fanout, posts};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict};
use crate::rest::Rest;
use crate::runner::StoreKind;

const ID: u8 = 10;
const NAME: &str = "cluster";

static RUN: AtomicU32 = AtomicU32::new(0);

fn overhead(single: f64, pair: f64) -> String {
    if single > 0.0 {
        format!(
            "overhead {:+.1} ms ({:+.0} %)",
            pair - single,
            100.0 * (pair - single) / single
        )
    } else {
        "no single-node figure".into()
    }
}

fn redis_reachable(url: &str) -> bool {
    let host = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379");
    let host = host.rsplit('@').next().unwrap_or(host);
    let with_port = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    };
    std::net::ToSocketAddrs::to_socket_addrs(&with_port)
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        })
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    if ctx.env.store != StoreKind::Postgres {
        return Ok(vec![Row {
            verdict: Verdict::NotApplicable("cluster mode needs PostgreSQL + Redis".into()),
            ..Row::new(ID, NAME, "two nodes")
        }]);
    }
    if !redis_reachable(&ctx.env.redis_url) {
        return Ok(vec![Row {
            verdict: Verdict::Failed(format!("Redis not reachable at {}", ctx.env.redis_url)),
            ..Row::new(ID, NAME, "two nodes")
        }]);
    }
    let duration = Duration::from_secs(p.cluster_secs);
    let rate = p.cluster_post_rate;
    let n = p.cluster_fanout.min(ctx.manifest.users.len() as u64);
    let posters = Arc::new(posts::posters(ctx.manifest));

    // One node, no Redis: the baseline.
    let single = ctx.env.start(ctx.store, "cluster-single", &[]).await?;
    let rest = Rest::new(&single.base_url)?;
    let sampler = Sampler::start(&[single.pid()]);
    let base_posts = posts::measure(&rest, posters.clone(), rate, duration).await;
    let base_posts_usage = sampler.finish();
    let base_fan = fanout::measure(
        ctx.manifest,
        &rest,
        ddp_addr(&single),
        n,
        duration,
        &[single.pid()],
    )
    .await;
    single.stop().await;
    let base_fan = base_fan?;

    // Two nodes sharing the database and a Redis prefix of their own.
    let prefix = format!(
        "fcbench{}_{}:",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    );
    let redis = ctx.env.redis_url.clone();
    let extra = [
        ("REDIS_URL", redis.as_str()),
        ("REDIS_PREFIX", prefix.as_str()),
    ];
    let a = ctx.env.start(ctx.store, "cluster-a", &extra).await?;
    let b = match ctx.env.start(ctx.store, "cluster-b", &extra).await {
        Ok(b) => b,
        Err(e) => {
            a.stop().await;
            return Err(e.into());
        }
    };
    let rest_a = Rest::new(&a.base_url)?;
    let pids = [a.pid(), b.pid()];
    let sampler = Sampler::start(&pids);
    let pair_posts = posts::measure(&rest_a, posters, rate, duration).await;
    let pair_posts_usage = sampler.finish();
    let pair_fan = fanout::measure(ctx.manifest, &rest_a, ddp_addr(&b), n, duration, &pids).await;
    a.stop().await;
    b.stop().await;
    let pair_fan = pair_fan?;

    let mut rows = Vec::new();
    let mut row = base_posts
        .fill(Row::new(ID, NAME, format!("posts {rate:.0}/s, one node")))
        .target("baseline");
    row.usage = Some(base_posts_usage);
    rows.push(row);
    let mut row = pair_posts
        .fill(Row::new(ID, NAME, format!("posts {rate:.0}/s, two nodes")))
        .target("report overhead")
        .note(format!(
            "p99 {}",
            overhead(base_posts.summary().p99_ms, pair_posts.summary().p99_ms)
        ))
        .note("CPU/RSS: both nodes summed");
    row.usage = Some(pair_posts_usage);
    rows.push(row);
    let mut row = fanout::row(ID, NAME, format!("fan-out N={n}, one node"), n, &base_fan);
    row.target = "baseline".into();
    row.verdict = Verdict::Info;
    rows.push(row);
    let mut row = fanout::row(
        ID,
        NAME,
        format!("fan-out N={n}, post on A, subscribers on B"),
        n,
        &pair_fan,
    )
    .note(format!(
        "last-subscriber p99 {}",
        overhead(base_fan.last.p99_ms, pair_fan.last.p99_ms)
    ));
    row.target = "report overhead".into();
    if !matches!(row.verdict, Verdict::Missed(ref why) if why.contains("missing") || why.contains("connected"))
    {
        row.verdict = Verdict::Info;
    }
    rows.push(row);
    Ok(rows)
}
