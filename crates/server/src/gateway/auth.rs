//! Authentication. A request names its user in `X-User-Id` and proves it with `X-Auth-Token`
//! (a login token or personal access token). GET requests may use the `rc_uid` / `rc_token`
//! cookies instead (file downloads, avatars); state-changing requests may not, so a
//! cross-site form cannot act for a logged-in browser.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use ferrochat_model::User;
use ferrochat_model::ids::hash_login_token;
use ferrochat_model::time::now_ms;

use crate::error::{Error, Result};
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The stored hash of the token the caller presented (what `logout` removes).
    pub hashed_token: String,
}

/// What the gateway found out about the request's credentials.
#[derive(Debug, Clone)]
pub(crate) enum Identity {
    Anonymous,
    Invalid,
    User(Box<Caller>),
}

/// Checks a user id and token pair.
pub async fn authenticate(state: &AppState, user_id: &str, token: &str) -> Result<Option<Caller>> {
    if user_id.is_empty() || token.is_empty() || token.len() > 512 {
        return Ok(None);
    }
    let hashed = hash_login_token(token);
    let Some(stored) = state.store.token(&hashed).await? else {
        return Ok(None);
    };
    if stored.user_id != user_id || stored.expires_at.is_some_and(|at| at <= now_ms()) {
        return Ok(None);
    }
    match state.store.user_by_id(user_id).await? {
        Some(user) if user.active => Ok(Some(Caller {
            user,
            hashed_token: hashed,
        })),
        _ => Ok(None),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// The credentials a request carries, if any.
pub(crate) fn credentials<'a>(
    method: &Method,
    headers: &'a HeaderMap,
) -> Option<(&'a str, &'a str)> {
    if let (Some(uid), Some(token)) = (
        header(headers, "x-user-id"),
        header(headers, "x-auth-token"),
    ) {
        return Some((uid, token));
    }
    if matches!(*method, Method::GET | Method::HEAD)
        && let (Some(uid), Some(token)) = (cookie(headers, "rc_uid"), cookie(headers, "rc_token"))
    {
        return Some((uid, token));
    }
    None
}

/// Middleware: resolves the caller once per request and leaves the result for the
/// extractors and the rate limiter.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let identity = match credentials(req.method(), req.headers()) {
        None => Identity::Anonymous,
        Some((uid, token)) => match authenticate(&state, uid, token).await {
            Ok(Some(caller)) => Identity::User(Box::new(caller)),
            Ok(None) => Identity::Invalid,
            Err(err) => return axum::response::IntoResponse::into_response(err),
        },
    };
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// For resources browsers fetch by URL (files, avatars): the caller the gateway found, or
/// else the one the `rc_uid` / `rc_token` query parameters name, which Rocket.Chat clients
/// append where they cannot set headers.
pub async fn caller_or_query_credentials(
    state: &AppState,
    caller: Option<Caller>,
    query: &std::collections::HashMap<String, String>,
) -> Result<Option<User>> {
    if let Some(caller) = caller {
        return Ok(Some(caller.user));
    }
    match (query.get("rc_uid"), query.get("rc_token")) {
        (Some(uid), Some(token)) => Ok(authenticate(state, uid, token).await?.map(|c| c.user)),
        _ => Ok(None),
    }
}

/// Extractor: the route needs a logged-in caller.
pub struct Auth(pub Caller);

/// Extractor: the route works for anonymous callers too; bad credentials count as none.
pub struct MaybeAuth(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        match parts.extensions.get::<Identity>() {
            Some(Identity::User(caller)) => Ok(Auth((**caller).clone())),
            _ => Err(Error::Unauthorized),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        Ok(MaybeAuth(match parts.extensions.get::<Identity>() {
            Some(Identity::User(caller)) => Some((**caller).clone()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_only_authenticate_reads() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_static("a=b; rc_uid=u1; rc_token=t1"),
        );
        assert_eq!(credentials(&Method::GET, &headers), Some(("u1", "t1")));
        assert_eq!(credentials(&Method::POST, &headers), None);
        headers.insert("x-user-id", HeaderValue::from_static("u2"));
        headers.insert("x-auth-token", HeaderValue::from_static("t2"));
        assert_eq!(credentials(&Method::POST, &headers), Some(("u2", "t2")));
    }
}
