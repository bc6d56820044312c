//! Scenario 7: `channels.history` count=50 in the big room, at its end and deep inside
//! (`latest` at a random point in its older half), open loop, while posts run as in
//! scenario 3. Target: p99 < 20 ms at 200 req/s.

use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, TimeZone, Utc};

use super::{Ctx, ScenarioError, credentials, open_loop, posts};
use crate::procfs::Sampler;
use crate::report::{Row, at_most};
use crate::rest::Rest;

const ID: u8 = 7;
const NAME: &str = "history";

fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let rest = Rest::new(&server.base_url)?;
    let users = Arc::new(ctx.manifest.users.clone());
    let big = ctx.manifest.big_room.clone();
    let duration = Duration::from_secs(p.history_secs);
    let posters = Arc::new(posts::posters(ctx.manifest));

    let query = |deep: bool| {
        let (rest, users, big) = (rest.clone(), users.clone(), big.clone());
        move |i: u64| {
            let (rest, users, big) = (rest.clone(), users.clone(), big.clone());
            async move {
                let auth = credentials(&users[(i as usize * 31) % users.len()]);
                let count = "50";
                let result = if deep {
                    // Somewhere in the older half of the room, spread over it.
                    let span = (big.last_ts - big.first_ts).max(1);
                    let fraction = ((i.wrapping_mul(2_654_435_761) % 1000) as f64) / 2000.0;
                    let latest = iso(big.first_ts + (span as f64 * fraction) as i64 + 1);
                    rest.get(
                        "/api/v1/channels.history",
                        Some(&auth),
                        &[("roomId", &big.id), ("count", count), ("latest", &latest)],
                    )
                    .await
                } else {
                    rest.get(
                        "/api/v1/channels.history",
                        Some(&auth),
                        &[("roomId", &big.id), ("count", count)],
                    )
                    .await
                };
                match result {
                    Ok(answer) => match answer["messages"].as_array() {
                        Some(m) if !m.is_empty() => Ok(()),
                        _ => Err("channels.history: no messages".to_owned()),
                    },
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    };
    let half = p.history_rate / 2.0;
    let sampler = Sampler::start(&[server.pid()]);
    let (end, deep, background) = tokio::join!(
        open_loop(half, duration, 2000, query(false)),
        open_loop(half, duration, 2000, query(true)),
        posts::measure(&rest, posters, p.history_post_rate, duration),
    );
    let usage = sampler.finish();
    server.stop().await;

    let mut rows = Vec::new();
    for (case, result) in [("end", &end), ("deep", &deep)] {
        let mut row = result
            .fill(Row::new(
                ID,
                NAME,
                format!(
                    "{case}, {:.0} req/s of {:.0} mixed, posts {:.0}/s",
                    half, p.history_rate, p.history_post_rate
                ),
            ))
            .target("p99 < 20 ms");
        row.verdict = at_most(result.summary().p99_ms, 20.0, "ms");
        row.usage = Some(usage);
        rows.push(row);
    }
    let bg = background.summary();
    let mut row = background
        .fill(Row::new(
            ID,
            NAME,
            format!("posts meanwhile, {:.0}/s", p.history_post_rate),
        ))
        .note(format!("big room: {} seeded messages", big.messages));
    row.latency = Some(bg);
    rows.push(row);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
    }
}
