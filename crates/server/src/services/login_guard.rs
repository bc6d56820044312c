//! Brute-force protection for password logins (`Block_Multiple_Failed_Logins_*`): after too
//! many failures for one username, or from one address, further attempts are refused for a
//! while, whether or not the password is right. A successful login clears the user's count.
//! Counts live in this node's memory; cluster mode will move them to Redis.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::services::settings::Settings;

#[derive(Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

fn user_key(login: &str) -> String {
    format!("user:{}", login.to_lowercase())
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

impl LoginGuard {
    fn recent(&self, key: &str, window_ms: i64, now: i64) -> usize {
        let Ok(mut map) = self.failures.lock() else {
            return 0;
        };
        match map.get_mut(key) {
            Some(times) => {
                times.retain(|t| now - t < window_ms);
                times.len()
            }
            None => 0,
        }
    }

    fn ip_exempt(settings: &Settings, ip: IpAddr) -> bool {
        settings
            .string("Block_Multiple_Failed_Logins_Ip_Whitelist")
            .split(',')
            .any(|entry| {
                entry
                    .trim()
                    .parse::<IpAddr>()
                    .is_ok_and(|allowed| allowed == ip)
            })
    }

    /// Refuses the attempt when the user or the address is blocked.
    pub fn check(
        &self,
        settings: &Settings,
        login: &str,
        ip: Option<IpAddr>,
        now: i64,
    ) -> Result<()> {
        if !settings.bool("Block_Multiple_Failed_Logins_Enabled") {
            return Ok(());
        }
        if settings.bool("Block_Multiple_Failed_Logins_By_User") {
            let limit = settings
                .int("Block_Multiple_Failed_Logins_Attempts_Until_Block_by_User")
                .max(1);
            let window = settings
                .int("Block_Multiple_Failed_Logins_Time_To_Unblock_By_User_In_Minutes")
                .max(1)
                * 60_000;
            if self.recent(&user_key(login), window, now) as i64 >= limit {
                return Err(Error::failure(
                    "error-login-blocked-for-user",
                    "Login has been temporarily blocked For User",
                ));
            }
        }
        if let Some(ip) = ip
            && settings.bool("Block_Multiple_Failed_Logins_By_Ip")
            && !Self::ip_exempt(settings, ip)
        {
            let limit = settings
                .int("Block_Multiple_Failed_Logins_Attempts_Until_Block_By_Ip")
                .max(1);
            let window = settings
                .int("Block_Multiple_Failed_Logins_Time_To_Unblock_By_Ip_In_Minutes")
                .max(1)
                * 60_000;
            if self.recent(&ip_key(ip), window, now) as i64 >= limit {
                return Err(Error::failure(
                    "error-login-blocked-for-ip",
                    "Login has been temporarily blocked For IP",
                ));
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, login: &str, ip: Option<IpAddr>, now: i64) {
        if let Ok(mut map) = self.failures.lock() {
            map.entry(user_key(login)).or_default().push(now);
            if let Some(ip) = ip {
                map.entry(ip_key(ip)).or_default().push(now);
            }
            // Bound the memory an attacker can make us hold.
            if map.len() > 100_000 {
                map.retain(|_, times| times.iter().any(|t| now - t < 3_600_000));
            }
        }
    }

    pub fn record_success(&self, login: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&user_key(login));
        }
    }

    /// Forgets failures older than an hour.
    pub fn forget_old(&self, now: i64) {
        if let Ok(mut map) = self.failures.lock() {
            map.retain(|_, times| {
                times.retain(|t| now - t < 3_600_000);
                !times.is_empty()
            });
        }
    }
}
