//! Scenario 3: durable message posts over REST (`chat.sendMessage`, 200 bytes, one in ten
//! with a mention), open loop, by many users into their own rooms.
//! Target: ≥ 1,000/s sustained; p99 < 50 ms at 500/s.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, LoadResult, ScenarioError, credentials, message_text, open_loop};
use crate::manifest::Manifest;
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_most, by_how_much};
use crate::rest::{Credentials, Rest};

const ID: u8 = 3;
const NAME: &str = "posts";

/// Who posts where: (credentials, room id, a room mate to mention).
pub fn posters(manifest: &Manifest) -> Vec<(Credentials, String, String)> {
    manifest
        .users
        .iter()
        .flat_map(|u| {
            u.rooms
                .iter()
                .take(2)
                .map(move |r| (credentials(u), r.id.clone(), r.mate.clone()))
        })
        .collect()
}

/// Posts at `rate` for `duration` through `rest`.
pub async fn measure(
    rest: &Rest,
    posters: Arc<Vec<(Credentials, String, String)>>,
    rate: f64,
    duration: Duration,
) -> LoadResult {
    let rest = rest.clone();
    open_loop(rate, duration, 5000, move |i| {
        let (rest, posters) = (rest.clone(), posters.clone());
        async move {
            // Spread consecutive posts over users and rooms.
            let (auth, rid, mate) = &posters[(i as usize * 7919) % posters.len()];
            let mention = (i % 10 == 0).then_some(mate.as_str());
            rest.send_message(auth, rid, &message_text(i, mention))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await
}

/// The verdict of a post rate: the p99 target at 500/s and below, sustained throughput
/// above.
pub fn verdict(rate: f64, result: &LoadResult) -> (String, Verdict) {
    if rate <= 500.0 {
        let p99 = result.summary().p99_ms;
        ("p99 < 50 ms".into(), at_most(p99, 50.0, "ms"))
    } else {
        let achieved = result.rate();
        let p99 = result.summary().p99_ms;
        let sustained = achieved >= rate * 0.98 && result.errors.count() == 0 && p99 < 1000.0;
        let verdict = if sustained {
            Verdict::Met
        } else if achieved < rate * 0.98 {
            Verdict::Missed(by_how_much(achieved, rate, "/s"))
        } else {
            Verdict::Missed(format!(
                "kept {achieved:.0}/s but p99 {p99:.0} ms (backlog), {} errors",
                result.errors.count()
            ))
        };
        (format!("≥ {rate:.0}/s sustained"), verdict)
    }
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let rest = Rest::new(&server.base_url)?;
    let posters = Arc::new(posters(ctx.manifest));
    if posters.is_empty() {
        return Err(ScenarioError::Setup("no user has a room to post to".into()));
    }
    // Warm up (connections, caches) at a quarter of the first rate for two seconds.
    let first = p.post_rates.first().copied().unwrap_or(100.0);
    measure(&rest, posters.clone(), first / 4.0, Duration::from_secs(2)).await;
    let mut rows = Vec::new();
    for &rate in &p.post_rates {
        let sampler = Sampler::start(&[server.pid()]);
        let result = measure(
            &rest,
            posters.clone(),
            rate,
            Duration::from_secs(p.post_secs),
        )
        .await;
        let usage = sampler.finish();
        let (target, verdict) = verdict(rate, &result);
        let mut row = result
            .fill(Row::new(
                ID,
                NAME,
                format!("{rate:.0}/s for {} s", p.post_secs),
            ))
            .target(target);
        row.verdict = verdict;
        row.usage = Some(usage);
        rows.push(row);
        // Let a backlog drain before the next rate.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    server.stop().await;
    Ok(rows)
}
