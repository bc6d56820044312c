//! REST rate limiting as Rocket.Chat does it: per client address and route, by default
//! `API_Enable_Rate_Limiter_Limit_Calls_Default` calls per
//! `API_Enable_Rate_Limiter_Limit_Time_Default` ms, with `X-RateLimit-*` headers. Callers
//! holding `api-bypass-rate-limit` are exempt; in TEST_MODE there are no limits at all.
//! Limits are read from the settings at start-up.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::Error;
use crate::gateway::auth::Identity;
use crate::services::settings::Settings;
use crate::state::AppState;

type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, MonotonicClock, StateInformationMiddleware>;

/// A keyed quota: `calls` per interval for each key.
pub(crate) struct Limiter {
    limiter: Keyed,
    calls: u32,
    period: Duration,
}

impl Limiter {
    pub(crate) fn new(calls: i64, interval_ms: i64) -> Self {
        let calls = u32::try_from(calls.max(1)).unwrap_or(u32::MAX);
        let interval = Duration::from_millis(u64::try_from(interval_ms.max(1)).unwrap_or(60_000));
        let period = (interval / calls).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(calls).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Self {
            // The std monotonic clock: governor's default TSC-based clock misjudges elapsed
            // time on some virtual machines, which lets bursts through.
            limiter: RateLimiter::<_, _, _, governor::middleware::NoOpMiddleware<_>>::new(
                quota,
                DefaultKeyedStateStore::default(),
                MonotonicClock,
            )
            .with_middleware::<StateInformationMiddleware>(),
            calls,
            period,
        }
    }

    /// Counts one call for `key`; `Err` says how long until the next would be allowed.
    pub(crate) fn check(&self, key: &str) -> Result<(), Duration> {
        match self.limiter.check_key(&key.to_owned()) {
            Ok(_) => Ok(()),
            Err(not_until) => Err(not_until.wait_time_from(MonotonicClock.now())),
        }
    }

    pub(crate) fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

pub struct RateLimits {
    enabled: bool,
    default: Limiter,
    per_route: HashMap<&'static str, Limiter>,
}

/// What a check decided, with the numbers for the response headers.
struct Verdict {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset_at_ms: i64,
    retry_after: Duration,
}

impl RateLimits {
    pub fn from_settings(settings: &Settings, test_mode: bool) -> Self {
        let interval = settings.int("API_Enable_Rate_Limiter_Limit_Time_Default");
        let mut per_route = HashMap::new();
        per_route.insert(
            "/api/v1/users.register",
            Limiter::new(settings.int("Rate_Limiter_Limit_RegisterUser"), interval),
        );
        Self {
            enabled: !test_mode && settings.bool("API_Enable_Rate_Limiter"),
            default: Limiter::new(
                settings.int("API_Enable_Rate_Limiter_Limit_Calls_Default"),
                interval,
            ),
            per_route,
        }
    }

    fn check(&self, route: &str, method: &str, ip: IpAddr) -> Verdict {
        let limiter = self.per_route.get(route).unwrap_or(&self.default);
        let key = format!("{ip}|{route}{method}");
        let now = ferrochat_model::time::now_ms();
        match limiter.limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let refill = limiter.period * (limiter.calls - remaining.min(limiter.calls));
                Verdict {
                    allowed: true,
                    limit: limiter.calls,
                    remaining,
                    reset_at_ms: now + refill.as_millis() as i64,
                    retry_after: Duration::ZERO,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(MonotonicClock.now());
                Verdict {
                    allowed: false,
                    limit: limiter.calls,
                    remaining: 0,
                    reset_at_ms: now + wait.as_millis() as i64,
                    retry_after: wait,
                }
            }
        }
    }

    /// Drops the state of clients that have been quiet long enough to be back at full quota.
    pub fn forget_idle(&self) {
        self.default.limiter.retain_recent();
        for limiter in self.per_route.values() {
            limiter.limiter.retain_recent();
        }
    }
}

fn set(response: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.rate_limits.enabled {
        return next.run(req).await;
    }
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(req).await;
    };
    if !route.starts_with("/api/") {
        return next.run(req).await;
    }
    if let Some(Identity::User(caller)) = req.extensions().get::<Identity>()
        && state
            .authz
            .has_global(&caller.user, "api-bypass-rate-limit")
    {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let method = req.method().as_str().to_ascii_lowercase();
    let verdict = state.rate_limits.check(&route, &method, ip);
    let mut response = if verdict.allowed {
        next.run(req).await
    } else {
        Error::TooManyRequests {
            seconds: verdict.retry_after.as_secs().max(1),
        }
        .into_response()
    };
    set(&mut response, "x-ratelimit-limit", verdict.limit);
    set(&mut response, "x-ratelimit-remaining", verdict.remaining);
    set(&mut response, "x-ratelimit-reset", verdict.reset_at_ms);
    response
}
