//! Timestamps are milliseconds since the Unix epoch everywhere inside Ferrochat.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2023-10-05T20:30:51.052Z`, the shape of dates in Rocket.Chat's REST JSON.
pub fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an ISO-8601 / RFC 3339 date as clients send it (`updatedSince`, `latest`, ...).
pub fn parse_iso(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip() {
        assert_eq!(iso(1_696_537_851_052), "2023-10-05T20:30:51.052Z");
        assert_eq!(
            parse_iso("2023-10-05T20:30:51.052Z"),
            Some(1_696_537_851_052)
        );
        assert_eq!(
            parse_iso("2023-10-05T22:30:51.052+02:00"),
            Some(1_696_537_851_052)
        );
        assert_eq!(parse_iso("yesterday"), None);
    }
}
