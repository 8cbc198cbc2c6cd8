//! Request counters by route, for `GET /_emulator/stats`: kept for the whole run (the request log
//! is capped), and counting what the server did, also when the client never got the answer.

use std::collections::BTreeMap;

use serde::Serialize;

/// What became of one request.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Answered with this status.
    Answered(u16),
    /// Handled with this status, but the answer was lost (the `lose_answer` fault).
    AnswerLost(u16),
    /// Cut before any answer (the `drop_after_bytes` fault); the handler did not run.
    Cut,
}

/// The counts of one route.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RouteCount {
    /// Requests received.
    pub requests: u64,
    /// The statuses the server produced (handler or fault), lost answers included.
    pub statuses: BTreeMap<u16, u64>,
    /// Handled, answer lost.
    pub answers_lost: u64,
    /// Cut before an answer.
    pub cut: u64,
}

/// Counts by `METHOD /route` (ids in the path shown as `{id}`, numbers as `{n}`).
#[derive(Debug, Default)]
pub struct RequestCounts {
    by_route: BTreeMap<String, RouteCount>,
}

/// `POST /v2/devices/assets/0b6c…/realtime_upload/parts` → `POST /v2/devices/assets/{id}/realtime_upload/parts`.
pub fn route(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| {
            if uuid::Uuid::parse_str(s).is_ok() {
                "{id}"
            } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{n}"
            } else {
                s
            }
        })
        .collect();
    format!("{method} {}", segments.join("/"))
}

impl RequestCounts {
    pub fn record(&mut self, method: &str, path: &str, outcome: Outcome) {
        let c = self.by_route.entry(route(method, path)).or_default();
        c.requests += 1;
        match outcome {
            Outcome::Answered(s) => *c.statuses.entry(s).or_default() += 1,
            Outcome::AnswerLost(s) => {
                *c.statuses.entry(s).or_default() += 1;
                c.answers_lost += 1;
            }
            Outcome::Cut => c.cut += 1,
        }
    }

    pub fn routes(&self) -> &BTreeMap<String, RouteCount> {
        &self.by_route
    }

    /// Requests to `route` (as [`route`] names it).
    pub fn requests(&self, route: &str) -> u64 {
        self.by_route.get(route).map_or(0, |c| c.requests)
    }

    /// 2xx outcomes of `route`, answered or lost: what the server did.
    pub fn successes(&self, route: &str) -> u64 {
        self.by_route.get(route).map_or(0, |c| {
            c.statuses
                .iter()
                .filter(|(s, _)| (200..300).contains(*s))
                .map(|(_, n)| n)
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_ids_and_numbers() {
        assert_eq!(
            route(
                "POST",
                "/v2/devices/assets/0b6c0a51-6b0e-4a7e-9a51-2f4d1d3b7a11/realtime_upload/parts"
            ),
            "POST /v2/devices/assets/{id}/realtime_upload/parts"
        );
        assert_eq!(
            route("PUT", "/parts/0b6c0a51-6b0e-4a7e-9a51-2f4d1d3b7a11/12"),
            "PUT /parts/{id}/{n}"
        );
        assert_eq!(route("POST", "/v2/auth/token"), "POST /v2/auth/token");
    }

    #[test]
    fn lost_answers_count_as_what_the_server_did() {
        let mut c = RequestCounts::default();
        c.record("POST", "/v2/devices/assets", Outcome::Answered(200));
        c.record("POST", "/v2/devices/assets", Outcome::AnswerLost(200));
        c.record("POST", "/v2/devices/assets", Outcome::Answered(403));
        c.record("POST", "/v2/devices/assets", Outcome::Cut);
        assert_eq!(c.requests("POST /v2/devices/assets"), 4);
        assert_eq!(c.successes("POST /v2/devices/assets"), 2);
        let r = &c.routes()["POST /v2/devices/assets"];
        assert_eq!((r.answers_lost, r.cut), (1, 1));
    }
}
