//! Scenario 9: the idle server. Time from spawn to a successful `/readyz` on a fresh, empty
//! store (migrations and bootstrap included), and its RSS one second later.
//! Target: < 0.3 s to ready, < 50 MB RSS.

use std::time::Duration;

use super::{Ctx, ScenarioError};
use crate::metrics::Latencies;
use crate::procfs;
use crate::report::{Row, Verdict, at_most};

const ID: u8 = 9;
const NAME: &str = "idle-server";

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let runs = ctx.env.profile.idle_server_runs.max(1);
    let ready = Latencies::new();
    let mut rss = Vec::new();
    let mut ready_ms = Vec::new();
    for _ in 0..runs {
        let store = ctx.env.fresh_store("idle").await?;
        let server = ctx.env.start(&store, NAME, &[]).await;
        let server = match server {
            Ok(s) => s,
            Err(e) => {
                ctx.env.remove(&store).await;
                return Err(e.into());
            }
        };
        ready.record(server.ready_after);
        ready_ms.push(server.ready_after.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss.push(procfs::rss_kib(&server.pid().to_string()).unwrap_or(0) as f64 / 1024.0);
        server.stop().await;
        ctx.env.remove(&store).await;
    }
    let max_ready = ready_ms.iter().cloned().fold(0.0, f64::max);
    let max_rss = rss.iter().cloned().fold(0.0, f64::max);
    let min_rss = rss.iter().cloned().fold(f64::MAX, f64::min);
    let mut ready_row = Row::new(ID, NAME, format!("time to ready, {runs} fresh starts"))
        .target("< 300 ms")
        .note(format!(
            "ready in {} ms",
            ready_ms
                .iter()
                .map(|m| format!("{m:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    ready_row.latency = Some(ready.summary());
    ready_row.ok = runs as u64;
    ready_row.verdict = at_most(max_ready, 300.0, "ms");
    // 50 MB = 47.7 MiB.
    let limit_mib = 50.0 * 1_000_000.0 / 1_048_576.0;
    let mut rss_row = Row::new(ID, NAME, "idle RSS 1 s after ready")
        .target("< 50 MB")
        .note(format!("{min_rss:.1} – {max_rss:.1} MiB"));
    rss_row.ok = runs as u64;
    rss_row.verdict = if max_rss > 0.0 {
        at_most(max_rss, limit_mib, "MiB")
    } else {
        Verdict::Failed("RSS not readable".into())
    };
    Ok(vec![ready_row, rss_row])
}
