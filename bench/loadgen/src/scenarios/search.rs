//! Scenario 8: `chat.search` with 1–3 terms over the big room's messages, open loop.
//! Target: p99 < 200 ms. An endpoint the server does not have yet is reported as such.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ScenarioError, credentials, open_loop};
use crate::procfs::Sampler;
use crate::report::{Row, Verdict, at_most};
use crate::rest::{Rest, RestError};

const ID: u8 = 8;
const NAME: &str = "search";

/// Terms for search `i`: one to three words of the seeded vocabulary, common and rare.
fn terms(vocabulary: &[String], i: u64) -> String {
    let useful: Vec<&String> = vocabulary.iter().filter(|w| w.len() > 3).collect();
    if useful.is_empty() {
        return "message".into();
    }
    let n = 1 + (i % 3) as usize;
    (0..n)
        .map(|k| {
            let x = i
                .wrapping_mul(2_654_435_761)
                .wrapping_add(k as u64 * 40_503);
            useful[(x % useful.len() as u64) as usize].as_str()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn run(ctx: &Ctx<'_>) -> Result<Vec<Row>, ScenarioError> {
    let p = &ctx.env.profile;
    let server = ctx.env.start(ctx.store, NAME, &[]).await?;
    let rest = Rest::new(&server.base_url)?;
    let users = Arc::new(ctx.manifest.users.clone());
    let vocabulary = Arc::new(ctx.manifest.vocabulary.clone());
    let rid = ctx.manifest.big_room.id.clone();
    let case = format!(
        "1–3 terms, {:.0} req/s, {} messages in the room",
        p.search_rate, ctx.manifest.big_room.messages
    );

    // One probe first: a missing endpoint is a finding, not a crash or a fake number.
    let probe = rest
        .get(
            "/api/v1/chat.search",
            Some(&credentials(&users[0])),
            &[("roomId", &rid), ("searchText", "deploy"), ("count", "20")],
        )
        .await;
    match probe {
        Ok(answer) if answer["messages"].is_array() => {}
        Ok(answer) => {
            server.stop().await;
            let shape: String = answer.to_string().chars().take(120).collect();
            return Ok(vec![Row {
                verdict: Verdict::Failed(format!("chat.search: unexpected answer {shape}")),
                ..Row::new(ID, NAME, case).target("p99 < 200 ms")
            }]);
        }
        Err(e @ RestError::Status { .. }) => {
            server.stop().await;
            return Ok(vec![Row {
                verdict: Verdict::Failed(e.to_string()),
                ..Row::new(ID, NAME, case).target("p99 < 200 ms")
            }]);
        }
        Err(e) => {
            server.stop().await;
            return Err(e.into());
        }
    }

    let sampler = Sampler::start(&[server.pid()]);
    let result = {
        let rest = rest.clone();
        open_loop(
            p.search_rate,
            Duration::from_secs(p.search_secs),
            1000,
            move |i| {
                let (rest, users, vocabulary, rid) =
                    (rest.clone(), users.clone(), vocabulary.clone(), rid.clone());
                async move {
                    let auth = credentials(&users[(i as usize * 17) % users.len()]);
                    let text = terms(&vocabulary, i);
                    rest.get(
                        "/api/v1/chat.search",
                        Some(&auth),
                        &[("roomId", &rid), ("searchText", &text), ("count", "20")],
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
                }
            },
        )
        .await
    };
    let usage = sampler.finish();
    server.stop().await;
    let mut row = result.fill(Row::new(ID, NAME, case)).target("p99 < 200 ms");
    row.verdict = at_most(result.summary().p99_ms, 200.0, "ms");
    row.usage = Some(usage);
    Ok(vec![row])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_three_terms() {
        let vocabulary: Vec<String> = ["deploy", "server", "the", "quartz"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for i in 0..6 {
            let t = terms(&vocabulary, i);
            let n = t.split(' ').count();
            assert_eq!(n, 1 + (i % 3) as usize, "{t}");
            assert!(!t.contains("the"));
        }
    }
}
