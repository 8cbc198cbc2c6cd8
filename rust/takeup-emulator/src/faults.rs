//! Deterministic fault injection.
//!
//! A rule matches requests by listener ("api", "auth", "s3" or "any"), optionally by method, a
//! path substring and a path suffix. It fires on its `nth` matching request (1-based, counted from when the rule was
//! added) and the `times - 1` matching requests after it; or, with `probability`, on each matching
//! request with that chance drawn from the emulator's seeded RNG. Same seed and the same request
//! sequence give the same faults, so a failing test can be replayed.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `/v2/auth/*`
    Auth,
    /// Every other `/v2/*` endpoint.
    Api,
    /// Part PUTs on the S3 stand-in.
    S3,
    Any,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Read K bytes of the request body, then cut the TCP connection without answering.
    DropAfterBytes { bytes: u64 },
    /// Hold the request for `ms` milliseconds before handling it normally.
    Stall { ms: u64 },
    /// Handle the request normally (the server acts: the asset is created, the parts registered,
    /// the part stored, the token rotated), then lose the answer: the client gets none (HTTP/1.1:
    /// the connection is cut; HTTP/2: the request's stream is reset). The log shows status 0 and
    /// `lose_answer(<the status the handler gave>)`.
    #[serde(alias = "drop_answer")]
    LoseAnswer,
    /// S3: 500 InternalError; API: 500 detailed error.
    InternalError,
    /// S3: 503 SlowDown; API: 503 detailed error.
    SlowDown,
    /// 503 ServiceUnavailable.
    ServiceUnavailable,
    /// S3: 400 RequestTimeout; API: 504 detailed error.
    RequestTimeout,
    /// 429 with the detailed shape, with `Retry-After` when given.
    TooManyRequests { retry_after: Option<u64> },
    /// 401 Not Authorized (detailed), as for an expired access token.
    ExpiredToken,
    /// S3: 403 AccessDenied "Request has expired".
    ExpiredUrl,
    /// Any status with a generic body of the listener's shape.
    Status { status: u16 },
    /// A hostile answer: exactly this status, body and headers (malformed JSON, wrong types,
    /// missing fields, `http://` URLs...). `repeat` sends the body that many times (huge bodies).
    Respond {
        status: u16,
        body: String,
        #[serde(default)]
        content_type: Option<String>,
        #[serde(default)]
        headers: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        repeat: Option<u64>,
    },
    /// A redirect to `location` (302 unless `status` says otherwise).
    Redirect {
        location: String,
        #[serde(default)]
        status: Option<u16>,
    },
    /// Answer `status` with headers and the first `prefix_bytes` of `body`, then stall `ms`
    /// before the rest (a slowloris-style server).
    StallBody {
        status: u16,
        body: String,
        prefix_bytes: usize,
        ms: u64,
    },
}

impl FaultAction {
    pub fn label(&self) -> String {
        match self {
            FaultAction::DropAfterBytes { bytes } => format!("drop_after_bytes({bytes})"),
            FaultAction::Stall { ms } => format!("stall({ms}ms)"),
            FaultAction::LoseAnswer => "lose_answer".into(),
            FaultAction::InternalError => "internal_error".into(),
            FaultAction::SlowDown => "slow_down".into(),
            FaultAction::ServiceUnavailable => "service_unavailable".into(),
            FaultAction::RequestTimeout => "request_timeout".into(),
            FaultAction::TooManyRequests { .. } => "too_many_requests".into(),
            FaultAction::ExpiredToken => "expired_token".into(),
            FaultAction::ExpiredUrl => "expired_url".into(),
            FaultAction::Status { status } => format!("status({status})"),
            FaultAction::Respond { status, .. } => format!("respond({status})"),
            FaultAction::Redirect { .. } => "redirect".into(),
            FaultAction::StallBody { ms, .. } => format!("stall_body({ms}ms)"),
        }
    }
}

/// A rule as `POST /_emulator/faults` takes it (and, normalised, as `GET` lists it).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub target: Target,
    pub method: Option<String>,
    pub path_contains: Option<String>,
    /// Only requests whose path ends with this (`/v2/devices/assets` is asset creation, not the
    /// part registration below it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_ends_with: Option<String>,
    /// Fire on the nth matching request (1-based). Defaults to 1 when no probability is given.
    pub nth: Option<u64>,
    /// How many times to fire (consecutive matches from `nth`, or a cap for probabilistic rules).
    pub times: Option<u64>,
    /// Fire on each matching request with this probability (seeded RNG).
    pub probability: Option<f64>,
    pub action: FaultAction,
}

/// An added rule: its spec (method upper-cased, `nth` defaulted) and its counters.
#[derive(Clone, Debug, Serialize)]
pub struct FaultRule {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching requests seen so far.
    pub seen: u64,
    /// Times fired so far.
    pub fired: u64,
}

impl FaultRule {
    pub fn from_spec(id: u64, spec: FaultSpec) -> Result<Self, String> {
        if let Some(p) = spec.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err("probability must be within 0..=1".into());
        }
        if spec.nth == Some(0) {
            return Err("nth is 1-based".into());
        }
        if spec.times == Some(0) {
            return Err("times must be at least 1".into());
        }
        let nth = match (spec.nth, spec.probability) {
            (None, None) => Some(1),
            (n, _) => n,
        };
        Ok(Self {
            id,
            spec: FaultSpec {
                method: spec.method.map(|m| m.to_ascii_uppercase()),
                nth,
                ..spec
            },
            seen: 0,
            fired: 0,
        })
    }

    pub fn matches(&self, target: Target, method: &str, path: &str) -> bool {
        let s = &self.spec;
        (s.target == Target::Any || s.target == target)
            && s.method.as_deref().is_none_or(|m| m == method)
            && s.path_contains.as_deref().is_none_or(|p| path.contains(p))
            && s.path_ends_with
                .as_deref()
                .is_none_or(|p| path.ends_with(p))
    }

    /// Count a matching request and decide whether the rule fires on it. `draw` is a uniform
    /// sample in [0, 1) from the seeded RNG, drawn only for probabilistic rules.
    pub fn decide(&mut self, draw: impl FnOnce() -> f64) -> bool {
        self.seen += 1;
        let s = &self.spec;
        let times = s.times.unwrap_or(1);
        if self.fired >= times && (s.probability.is_none() || s.times.is_some()) {
            return false;
        }
        let fire = match (s.nth, s.probability) {
            (Some(n), None) => self.seen >= n,
            (Some(n), Some(p)) => self.seen >= n && draw() < p,
            (None, Some(p)) => draw() < p,
            (None, None) => false,
        };
        if fire {
            self.fired += 1;
        }
        fire
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(nth: Option<u64>, times: Option<u64>, p: Option<f64>) -> FaultRule {
        FaultRule::from_spec(
            1,
            FaultSpec {
                target: Target::S3,
                method: None,
                path_contains: None,
                path_ends_with: None,
                nth,
                times,
                probability: p,
                action: FaultAction::InternalError,
            },
        )
        .unwrap()
    }

    #[test]
    fn nth_fires_once_on_the_nth_match() {
        let mut r = rule(Some(3), None, None);
        let fired: Vec<bool> = (0..6).map(|_| r.decide(|| 0.0)).collect();
        assert_eq!(fired, [false, false, true, false, false, false]);
    }

    #[test]
    fn times_fires_consecutively() {
        let mut r = rule(Some(2), Some(3), None);
        let fired: Vec<bool> = (0..6).map(|_| r.decide(|| 0.0)).collect();
        assert_eq!(fired, [false, true, true, true, false, false]);
    }

    #[test]
    fn probability_uses_the_draw_and_respects_a_cap() {
        let mut r = rule(None, Some(2), Some(0.5));
        let draws = [0.9, 0.1, 0.7, 0.2, 0.3];
        let fired: Vec<bool> = draws.iter().map(|d| r.decide(|| *d)).collect();
        assert_eq!(fired, [false, true, false, true, false]);
        let mut unlimited = rule(None, None, Some(0.5));
        let fired: Vec<bool> = draws.iter().map(|d| unlimited.decide(|| *d)).collect();
        assert_eq!(fired, [false, true, false, true, true]);
    }

    #[test]
    fn matching_by_target_method_and_path() {
        let mut r = rule(None, None, None);
        r.spec.method = Some("PUT".into());
        r.spec.path_contains = Some("/parts/".into());
        assert!(r.matches(Target::S3, "PUT", "/parts/a/1"));
        assert!(!r.matches(Target::Api, "PUT", "/parts/a/1"));
        assert!(!r.matches(Target::S3, "GET", "/parts/a/1"));
        assert!(!r.matches(Target::S3, "PUT", "/other"));
        r.spec.path_contains = None;
        r.spec.method = Some("POST".into());
        r.spec.target = Target::Api;
        r.spec.path_ends_with = Some("/v2/devices/assets".into());
        assert!(r.matches(Target::Api, "POST", "/v2/devices/assets"));
        assert!(!r.matches(
            Target::Api,
            "POST",
            "/v2/devices/assets/0b6c/realtime_upload/parts"
        ));
    }

    #[test]
    fn the_fault_json_stays_compatible() {
        // The shapes scripts/soak and the suites send, and the new kind (with its alias).
        for spec in [
            r#"{"target":"s3","probability":1.0,"action":{"kind":"stall","ms":120}}"#,
            r#"{"target":"api","path_contains":"/devices/me","action":{"kind":"drop_after_bytes","bytes":0}}"#,
            r#"{"target":"auth","nth":2,"times":3,"action":{"kind":"lose_answer"}}"#,
            r#"{"target":"api","method":"POST","path_ends_with":"/v2/devices/assets","action":{"kind":"drop_answer"}}"#,
        ] {
            let s: FaultSpec = serde_json::from_str(spec).unwrap();
            assert!(FaultRule::from_spec(1, s).is_ok(), "{spec}");
        }
        let s: FaultSpec =
            serde_json::from_str(r#"{"target":"s3","action":{"kind":"drop_answer"}}"#).unwrap();
        assert_eq!(s.action, FaultAction::LoseAnswer);
        assert!(
            serde_json::from_str::<FaultSpec>(
                r#"{"target":"s3","bogus":1,"action":{"kind":"lose_answer"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn a_listed_rule_is_its_normalised_spec_with_its_counters() {
        let spec = r#"{"target":"api","method":"post","path_contains":"/x","action":{"kind":"internal_error"}}"#;
        let mut r = FaultRule::from_spec(7, serde_json::from_str(spec).unwrap()).unwrap();
        assert!(r.decide(|| 0.0));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({
                "id": 7, "target": "api", "method": "POST", "path_contains": "/x", "nth": 1,
                "times": null, "probability": null, "action": {"kind": "internal_error"},
                "seen": 1, "fired": 1,
            })
        );
    }
}
