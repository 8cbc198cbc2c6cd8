//! Connection state for UIs: who is signed in, which project is connected, pairing progress and
//! the network status, published through a `tokio::sync::watch` channel.
//!
//! ```text
//!   NotAuthorized ──pair()──▶ Pairing{progress} ──token+identity──▶ NotConnected{user}
//!        ▲                       │ cancel/error                        │ connect()  ▲ disconnect()
//!        │                       ▼                                     ▼            │
//!        └── forgotten / sign_out ◀──────────────────────────────── Connected{project, user}
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::auth::pairing::PairingProgress;
use crate::identity::{ProjectRef, UserInfo};

/// Where the engine stands with Frame.io.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// No valid authorization: offer "Connect to Frame.io" (pairing).
    NotAuthorized,
    /// Pairing is running; show the code, the URL and the QR code.
    Pairing(#[cfg_attr(feature = "uniffi", uniffi(name = "progress"))] PairingProgress),
    /// Paired, but no project is connected: offer account and project selection.
    NotConnected {
        /// The signed-in user.
        user: UserInfo,
    },
    /// Paired and connected to a project.
    Connected {
        /// The connected project (re-read from the server, so renames show up).
        project: ProjectRef,
        /// The signed-in user.
        user: UserInfo,
    },
}

/// How the host reaches the network (reported by the platform).
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionType {
    /// Wi-Fi.
    Wifi,
    /// Cellular data.
    Cellular,
    /// Wired Ethernet (or USB tethering).
    Ethernet,
    /// Not reported.
    #[default]
    Unknown,
}

/// Link quality derived from recent request outcomes and measured throughput.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Not enough data yet.
    #[default]
    Unknown,
    /// Requests succeed quickly.
    Good,
    /// Some failures or slow answers.
    Fair,
    /// Most requests fail or the link is very slow.
    Poor,
}

/// The network as the engine sees it.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkStatus {
    /// False after a connection failure or when the host reports no network.
    pub online: bool,
    /// As reported by the host.
    pub connection_type: ConnectionType,
    /// Derived link quality.
    pub health: Health,
    /// Recent measured upload throughput in bits per second, when known.
    pub throughput_bps: Option<f64>,
    /// Median latency of recent requests.
    pub latency: Option<Duration>,
    /// When the last request succeeded.
    pub last_success_at: Option<DateTime<Utc>>,
}

impl Default for NetworkStatus {
    fn default() -> Self {
        Self {
            online: true,
            connection_type: ConnectionType::Unknown,
            health: Health::Unknown,
            throughput_bps: None,
            latency: None,
            last_success_at: None,
        }
    }
}

/// Everything a connection-manager UI shows.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq)]
pub struct EngineStatus {
    /// Authorization and project.
    pub connection: ConnectionState,
    /// Network.
    pub network: NetworkStatus,
}

/// Receives every status change.
pub trait StatusListener: Send + Sync {
    /// Called with the new status after each change.
    fn on_status(&self, status: EngineStatus);
}

/// A listener registration; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    cancel: CancellationToken,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

const WINDOW: usize = 20;

#[derive(Default)]
struct Samples {
    outcomes: VecDeque<(bool, Duration)>,
    throughput: VecDeque<f64>,
    host_online: Option<bool>,
}

/// Holds the status and tells listeners.
pub(crate) struct StatusHub {
    tx: watch::Sender<EngineStatus>,
    samples: Mutex<Samples>,
}

impl StatusHub {
    pub(crate) fn new(initial: ConnectionState) -> Arc<Self> {
        let (tx, _) = watch::channel(EngineStatus {
            connection: initial,
            network: NetworkStatus::default(),
        });
        Arc::new(Self {
            tx,
            samples: Mutex::new(Samples::default()),
        })
    }

    pub(crate) fn status(&self) -> EngineStatus {
        self.tx.borrow().clone()
    }

    pub(crate) fn receiver(&self) -> watch::Receiver<EngineStatus> {
        self.tx.subscribe()
    }

    pub(crate) fn set_connection(&self, state: ConnectionState) {
        self.tx.send_if_modified(|s| {
            if s.connection == state {
                false
            } else {
                tracing::debug!(state = state_name(&state), "connection state changed");
                s.connection = state;
                true
            }
        });
    }

    pub(crate) fn subscribe(&self, listener: Arc<dyn StatusListener>) -> Subscription {
        let cancel = CancellationToken::new();
        let mut rx = self.tx.subscribe();
        let stop = cancel.clone();
        listener.on_status(rx.borrow_and_update().clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    changed = rx.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        let status = rx.borrow_and_update().clone();
                        listener.on_status(status);
                    }
                }
            }
        });
        Subscription { cancel }
    }

    fn update_network(&self, f: impl FnOnce(&mut NetworkStatus, &mut Samples)) {
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        self.tx.send_if_modified(|s| {
            let before = s.network.clone();
            f(&mut s.network, &mut samples);
            s.network.health = derive_health(&samples);
            s.network.latency = median_latency(&samples);
            s.network.throughput_bps = average(&samples.throughput);
            if let Some(false) = samples.host_online {
                s.network.online = false;
            }
            s.network != before
        });
    }

    /// A request finished (`ok` = got any HTTP answer).
    fn record_request(&self, ok: bool, latency: Duration) {
        self.update_network(|n, s| {
            push(&mut s.outcomes, (ok, latency));
            if ok {
                n.online = true;
                n.last_success_at = Some(Utc::now());
            } else {
                n.online = false;
            }
        });
    }

    /// Bytes sent in `elapsed` (the uploader reports its transfers here).
    fn record_transfer(&self, bytes: u64, elapsed: Duration) {
        if elapsed.is_zero() || bytes < 64 * 1024 {
            return;
        }
        let bps = bytes as f64 * 8.0 / elapsed.as_secs_f64();
        self.update_network(|_, s| push(&mut s.throughput, bps));
    }

    pub(crate) fn set_connection_type(&self, t: ConnectionType) {
        self.update_network(|n, _| n.connection_type = t);
    }

    pub(crate) fn set_host_online(&self, online: bool) {
        self.update_network(|n, s| {
            s.host_online = Some(online);
            n.online = online;
        });
    }
}

fn push<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == WINDOW {
        q.pop_front();
    }
    q.push_back(v);
}

fn average(v: &VecDeque<f64>) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn median_latency(s: &Samples) -> Option<Duration> {
    let mut l: Vec<Duration> = s.outcomes.iter().filter(|o| o.0).map(|o| o.1).collect();
    l.sort();
    l.get(l.len() / 2).copied()
}

fn derive_health(s: &Samples) -> Health {
    if s.host_online == Some(false) {
        return Health::Poor;
    }
    if s.outcomes.len() < 3 && s.throughput.is_empty() {
        return Health::Unknown;
    }
    let failures = s.outcomes.iter().filter(|o| !o.0).count() as f64;
    let ratio = if s.outcomes.is_empty() {
        0.0
    } else {
        failures / s.outcomes.len() as f64
    };
    let latency = median_latency(s).unwrap_or_default();
    let throughput = average(&s.throughput);
    if ratio > 0.4 || throughput.is_some_and(|t| t < 5e6) || latency > Duration::from_secs(5) {
        Health::Poor
    } else if ratio > 0.1
        || throughput.is_some_and(|t| t < 50e6)
        || latency > Duration::from_secs(1)
    {
        Health::Fair
    } else {
        Health::Good
    }
}

pub(crate) fn state_name(s: &ConnectionState) -> &'static str {
    match s {
        ConnectionState::NotAuthorized => "not_authorized",
        ConnectionState::Pairing(_) => "pairing",
        ConnectionState::NotConnected { .. } => "not_connected",
        ConnectionState::Connected { .. } => "connected",
    }
}

impl crate::http::NetworkObserver for StatusHub {
    fn request(&self, answered: bool, latency: Duration) {
        self.record_request(answered, latency);
    }

    fn transfer(&self, bytes: u64, elapsed: Duration) {
        self.record_transfer(bytes, elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_outcomes() {
        let hub = StatusHub::new(ConnectionState::NotAuthorized);
        assert_eq!(hub.status().network.health, Health::Unknown);
        for _ in 0..10 {
            hub.record_request(true, Duration::from_millis(50));
        }
        assert_eq!(hub.status().network.health, Health::Good);
        hub.record_request(false, Duration::from_millis(50));
        hub.record_request(false, Duration::from_millis(50));
        assert_eq!(hub.status().network.health, Health::Fair);
        assert!(!hub.status().network.online);
        for _ in 0..10 {
            hub.record_request(false, Duration::from_millis(50));
        }
        assert_eq!(hub.status().network.health, Health::Poor);
        hub.set_connection_type(ConnectionType::Cellular);
        assert_eq!(
            hub.status().network.connection_type,
            ConnectionType::Cellular
        );
        hub.set_host_online(false);
        assert!(!hub.status().network.online);
    }
}
