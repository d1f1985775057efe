//! A plugin's health and counters, kept as JSON in the registry so that every node and every
//! administrator sees the same.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest wait before a failing plugin is tried again.
const MAX_BACKOFF_SECS: i64 = 300;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Health {
    /// Failures of delivery or schedule calls in a row (0: healthy).
    pub failures: u32,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// No delivery or schedule call before this time (backoff after failures).
    pub retry_at: Option<DateTime<Utc>>,
    pub calls: Calls,
    /// Calls that failed, of any kind.
    pub errors: u64,
    /// Statements handed to `on-statements` and acknowledged.
    pub delivered: u64,
    pub last_delivery: Option<DateTime<Utc>>,
    pub last_schedule: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Calls {
    pub on_statements: u64,
    pub handle_request: u64,
    pub on_schedule: u64,
}

impl Health {
    /// Reads the stored JSON; anything unreadable counts as a fresh record.
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// `healthy`, or `failing` while delivery or schedule calls fail.
    pub fn status(&self) -> &'static str {
        if self.failures == 0 {
            "healthy"
        } else {
            "failing"
        }
    }

    /// Whether delivery and schedule calls must wait.
    pub fn backing_off(&self, now: DateTime<Utc>) -> bool {
        self.retry_at.is_some_and(|t| now < t)
    }

    /// Records a failed delivery or schedule call: the plugin waits 1, 2, 4, … seconds (at
    /// most five minutes) before the next one.
    pub fn failed(&mut self, error: &str, now: DateTime<Utc>) {
        self.failures = self.failures.saturating_add(1);
        self.errors = self.errors.saturating_add(1);
        self.last_error = Some(error.to_owned());
        self.last_error_at = Some(now);
        let exponent = self.failures.saturating_sub(1).min(20);
        let wait = (1i64 << exponent).min(MAX_BACKOFF_SECS);
        self.retry_at = Some(now + Duration::seconds(wait));
    }

    /// Records a successful delivery or schedule call.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }

    /// Adds counts gathered on this node since the last write.
    pub fn absorb(&mut self, pending: &Pending) {
        self.calls.handle_request = self.calls.handle_request.saturating_add(pending.requests);
        self.errors = self.errors.saturating_add(pending.request_errors);
        if let Some((at, error)) = &pending.last_request_error
            && self.last_error_at.is_none_or(|t| t <= *at)
        {
            self.last_error = Some(error.clone());
            self.last_error_at = Some(*at);
        }
    }
}

/// Request counts of one plugin on this node not written to the registry yet (requests are
/// counted in memory so that serving one costs no database write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    pub requests: u64,
    pub request_errors: u64,
    pub last_request_error: Option<(DateTime<Utc>, String)>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.requests == 0 && self.request_errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes_and_success_clears_it() {
        let now = Utc::now();
        let mut h = Health::default();
        assert_eq!(h.status(), "healthy");
        let mut waits = Vec::new();
        for _ in 0..12 {
            h.failed("boom", now);
            waits.push((h.retry_at.unwrap_or(now) - now).num_seconds());
        }
        assert_eq!(&waits[..5], &[1, 2, 4, 8, 16]);
        assert_eq!(waits.last(), Some(&300));
        assert_eq!(h.status(), "failing");
        assert!(h.backing_off(now));
        assert!(!h.backing_off(now + Duration::seconds(301)));
        h.succeeded();
        assert_eq!(h.status(), "healthy");
        assert!(!h.backing_off(now));
        assert_eq!(h.errors, 12);
        let back = Health::parse(&h.to_json());
        assert_eq!(back, h);
        assert_eq!(Health::parse("not json"), Health::default());
    }
}
