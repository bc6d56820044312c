//! A small REST client for Rocket.Chat's `/api/v1`: login and authenticated GET / POST.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("{endpoint}: transport: {source}")]
    Transport {
        endpoint: String,
        source: reqwest::Error,
    },
    /// The server answered with an error status. 404 on an unknown route means the
    /// endpoint is not implemented.
    #[error("{endpoint}: HTTP {status}{}", if *.status == 404 { " not implemented" } else { "" })]
    Status {
        endpoint: String,
        status: u16,
        body: String,
    },
    #[error("{endpoint}: unexpected answer: {detail}")]
    Decode { endpoint: String, detail: String },
}

impl RestError {
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A login: the headers every authenticated call carries.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
}

fn endpoint_name(path: &str) -> String {
    path.trim_start_matches("/api/v1/").to_owned()
}

impl Rest {
    pub fn new(base_url: &str) -> Result<Self, RestError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(512)
            .tcp_nodelay(true)
            .build()
            .map_err(|source| RestError::Transport {
                endpoint: "client".into(),
                source,
            })?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn finish(
        endpoint: String,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, RestError> {
        let response = request
            .send()
            .await
            .map_err(|source| RestError::Transport {
                endpoint: endpoint.clone(),
                source,
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|source| RestError::Transport {
                endpoint: endpoint.clone(),
                source,
            })?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(RestError::Status {
                endpoint,
                status: status.as_u16(),
                body: text.chars().take(200).collect(),
            });
        }
        serde_json::from_slice(&body).map_err(|e| RestError::Decode {
            endpoint,
            detail: e.to_string(),
        })
    }

    fn with_auth(
        request: reqwest::RequestBuilder,
        auth: Option<&Credentials>,
    ) -> reqwest::RequestBuilder {
        match auth {
            Some(c) => request
                .header("X-User-Id", &c.user_id)
                .header("X-Auth-Token", &c.token),
            None => request,
        }
    }

    /// `GET /api/v1/<path>?query`.
    pub async fn get(
        &self,
        path: &str,
        auth: Option<&Credentials>,
        query: &[(&str, &str)],
    ) -> Result<Value, RestError> {
        let request = self.http.get(format!("{}{path}", self.base)).query(query);
        Self::finish(endpoint_name(path), Self::with_auth(request, auth)).await
    }

    /// `POST /api/v1/<path>` with a JSON body.
    pub async fn post(
        &self,
        path: &str,
        auth: Option<&Credentials>,
        body: &Value,
    ) -> Result<Value, RestError> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        Self::finish(endpoint_name(path), Self::with_auth(request, auth)).await
    }

    /// Password login (`POST /api/v1/login`).
    pub async fn login(&self, username: &str, password: &str) -> Result<Credentials, RestError> {
        let answer = self
            .post(
                "/api/v1/login",
                None,
                &json!({"user": username, "password": password}),
            )
            .await?;
        let data = &answer["data"];
        match (data["userId"].as_str(), data["authToken"].as_str()) {
            (Some(user_id), Some(token)) => Ok(Credentials {
                user_id: user_id.to_owned(),
                token: token.to_owned(),
            }),
            _ => Err(RestError::Decode {
                endpoint: "login".into(),
                detail: "no data.userId / data.authToken".into(),
            }),
        }
    }

    /// `chat.sendMessage`; returns the stored message's id.
    pub async fn send_message(
        &self,
        auth: &Credentials,
        rid: &str,
        msg: &str,
    ) -> Result<String, RestError> {
        let answer = self
            .post(
                "/api/v1/chat.sendMessage",
                Some(auth),
                &json!({"message": {"rid": rid, "msg": msg}}),
            )
            .await?;
        answer["message"]["_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| RestError::Decode {
                endpoint: "chat.sendMessage".into(),
                detail: "no message._id".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_endpoint_says_so() {
        let e = RestError::Status {
            endpoint: endpoint_name("/api/v1/chat.search"),
            status: 404,
            body: String::new(),
        };
        assert_eq!(e.to_string(), "chat.search: HTTP 404 not implemented");
        let e = RestError::Status {
            endpoint: "login".into(),
            status: 401,
            body: String::new(),
        };
        assert_eq!(e.to_string(), "login: HTTP 401");
    }
}
