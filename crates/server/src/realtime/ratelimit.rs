//! DDP method rate limits, as Rocket.Chat's `DDPRateLimiter` rules
//! (`DDP_Rate_Limit_*` settings): per client address, per user, per connection, per user
//! and method, per connection and method; plus the `sendMessage` flood limit of 5 messages
//! a second for users without `send-many-messages`. Off in TEST_MODE, like the REST limits.
//! Quotas are read from the settings at start-up.

use std::net::IpAddr;

use ferrochat_model::User;

use super::hub::ConnId;
use crate::error::{Error, Result};
use crate::gateway::ratelimit::Limiter;
use crate::services::authz::Authz;
use crate::services::settings::Settings;

pub struct DdpLimits {
    ip: Option<Limiter>,
    user: Option<Limiter>,
    connection: Option<Limiter>,
    user_by_method: Option<Limiter>,
    connection_by_method: Option<Limiter>,
    send_message: Option<Limiter>,
}

fn rule(settings: &Settings, name: &str) -> Option<Limiter> {
    settings
        .bool(&format!("DDP_Rate_Limit_{name}_Enabled"))
        .then(|| {
            Limiter::new(
                settings.int(&format!("DDP_Rate_Limit_{name}_Requests_Allowed")),
                settings.int(&format!("DDP_Rate_Limit_{name}_Interval_Time")),
            )
        })
}

impl DdpLimits {
    pub fn from_settings(settings: &Settings, test_mode: bool) -> Self {
        if test_mode {
            return Self {
                ip: None,
                user: None,
                connection: None,
                user_by_method: None,
                connection_by_method: None,
                send_message: None,
            };
        }
        let limits = Self {
            ip: rule(settings, "IP"),
            user: rule(settings, "User"),
            connection: rule(settings, "Connection"),
            user_by_method: rule(settings, "User_By_Method"),
            connection_by_method: rule(settings, "Connection_By_Method"),
            send_message: Some(Limiter::new(5, 1000)),
        };
        tracing::debug!(
            by_connection_and_method = limits.connection_by_method.is_some(),
            by_user_and_method = limits.user_by_method.is_some(),
            "DDP rate limits"
        );
        limits
    }

    /// Counts a method call; refuses it when any rule is exhausted.
    pub fn check(
        &self,
        authz: &Authz,
        ip: IpAddr,
        user: Option<&User>,
        conn: ConnId,
        method: &str,
    ) -> Result<()> {
        let user_id = user.map(|u| u.id.as_str());
        let mut checks: Vec<(&Option<Limiter>, String)> = vec![
            (&self.ip, ip.to_string()),
            (&self.connection, conn.to_string()),
            (&self.connection_by_method, format!("{conn}|{method}")),
        ];
        if let Some(uid) = user_id {
            checks.push((&self.user, uid.to_owned()));
            checks.push((&self.user_by_method, format!("{uid}|{method}")));
        }
        if method == "sendMessage"
            && let Some(user) = user
            && !authz.has_global(user, "send-many-messages")
        {
            checks.push((&self.send_message, user.id.clone()));
        }
        for (limiter, key) in checks {
            if let Some(limiter) = limiter
                && let Err(wait) = limiter.check(&key)
            {
                return Err(Error::TooManyRequests {
                    seconds: wait.as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    pub fn forget_idle(&self) {
        for limiter in [
            &self.ip,
            &self.user,
            &self.connection,
            &self.user_by_method,
            &self.connection_by_method,
            &self.send_message,
        ]
        .into_iter()
        .flatten()
        {
            limiter.forget_idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_refuses_the_call_after_its_burst() {
        let limiter = Limiter::new(3, 10_000);
        for _ in 0..3 {
            assert!(limiter.check("k").is_ok());
        }
        assert!(limiter.check("k").is_err());
        assert!(limiter.check("other").is_ok());
    }
}
