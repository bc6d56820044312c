//! Scenario 1: password logins (`POST /api/v1/login`) at a fixed rate, with other
//! endpoints called meanwhile; then a closed loop for the ceiling.
//! Target: ≥ 30 logins/s with the other endpoints' p99 < 50 ms meanwhile.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ScenarioError, closed_loop, credentials, open_loop};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_least, at_most};
use crate::rest::Rest;

const ID: u8 = 1;
const NAME: &str = "logins";

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let rest = Rest::new(&server.base_url)?;
    let users = Arc::new(ctx.manifest.users.clone());
    let password = Arc::new(ctx.manifest.password.clone());
    let big = ctx.manifest.big_room.id.clone();

    let sampler = Sampler::start(&[server.pid()]);
    let duration = Duration::from_secs(p.login_secs);
    let login = {
        let (rest, users, password) = (rest.clone(), users.clone(), password.clone());
        open_loop(p.login_rate, duration, 1000, move |i| {
            let (rest, users, password) = (rest.clone(), users.clone(), password.clone());
            async move {
                let user = &users[(i as usize) % users.len()];
                rest.login(&user.username, &password)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
    };
    let side = {
        let (rest, users) = (rest.clone(), users.clone());
        open_loop(p.login_side_rate, duration, 1000, move |i| {
            let (rest, users, big) = (rest.clone(), users.clone(), big.clone());
            async move {
                let user = &users[(i as usize * 7) % users.len()];
                let auth = credentials(user);
                let result = match i % 3 {
                    0 => rest.get("/api/v1/me", Some(&auth), &[]).await,
                    1 => {
                        rest.get("/api/v1/channels.info", Some(&auth), &[("roomId", &big)])
                            .await
                    }
                    _ => match user.rooms.iter().find(|r| !r.private) {
                        Some(room) => {
                            rest.get(
                                "/api/v1/channels.history",
                                Some(&auth),
                                &[("roomId", &room.id), ("count", "20")],
                            )
                            .await
                        }
                        None => rest.get("/api/v1/me", Some(&auth), &[]).await,
                    },
                };
                result.map(|_| ()).map_err(|e| e.to_string())
            }
        })
    };
    let (login, side) = tokio::join!(login, side);
    let usage = sampler.finish();

    let side_p99 = side.summary().p99_ms;
    let mut rows = Vec::new();
    let rate = login.rate();
    let login_ok = login.errors.count() == 0 && rate >= p.login_rate * 0.97;
    rows.push(
        login
            .fill(Row::new(
                ID,
                NAME,
                format!("{:.0}/s open loop", p.login_rate),
            ))
            .target("≥ 30/s")
            .note(format!("other endpoints meanwhile p99 {side_p99:.1} ms")),
    );
    if let Some(row) = rows.last_mut() {
        row.usage = Some(usage);
        row.verdict = if login_ok {
            Verdict::Met
        } else {
            at_least(rate, p.login_rate, "/s")
        };
    }
    let mut side_row = side
        .fill(Row::new(
            ID,
            NAME,
            format!("other endpoints {:.0}/s during logins", p.login_side_rate),
        ))
        .target("p99 < 50 ms")
        .note("me, channels.info, channels.history");
    side_row.verdict = at_most(side_p99, 50.0, "ms");
    rows.push(side_row);

    // The ceiling: as many logins as `concurrency` clients can do back to back.
    let sampler = Sampler::start(&[server.pid()]);
    let max = {
        let (rest, users, password) = (rest.clone(), users.clone(), password.clone());
        closed_loop(
            p.login_max_concurrency,
            Duration::from_secs(p.login_max_secs),
            move |i| {
                let (rest, users, password) = (rest.clone(), users.clone(), password.clone());
                async move {
                    let user = &users[(i as usize * 13) % users.len()];
                    rest.login(&user.username, &password)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            },
        )
        .await
    };
    let usage = sampler.finish();
    let mut max_row = max
        .fill(Row::new(
            ID,
            NAME,
            format!("ceiling, {} clients closed loop", p.login_max_concurrency),
        ))
        .target("≥ 30/s");
    max_row.verdict = at_least(max.rate(), 30.0, "/s");
    max_row.usage = Some(usage);
    rows.push(max_row);
    server.stop().await;
    Ok(rows)
}
