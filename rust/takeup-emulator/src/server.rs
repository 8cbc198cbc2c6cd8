//! HTTPS accept loop with a per-connection kill switch.
//!
//! Fault injection needs to cut a TCP connection in the middle of a request ("drop the connection
//! after K body bytes"), which a normal handler cannot do: it can only answer. Each connection gets a
//! [`ConnKill`] in its requests' extensions; a handler that triggers it makes the connection task
//! drop the TLS stream at once, so the client sees a reset or an unexpected EOF, never an answer.
//! A response marked [`LoseAnswer`] (the handler ran, its answer is lost) is never sent: the
//! service fails instead, which resets that request's HTTP/2 stream (other requests on the
//! connection go on) and closes an HTTP/1.1 connection.

use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Handle to cut the connection a request arrived on.
#[derive(Clone)]
pub struct ConnKill(Arc<Notify>);

/// Marks a response that must not reach the client (the `lose_answer` fault).
#[derive(Clone, Copy, Debug)]
pub struct LoseAnswer;

/// The service error that stands for a lost answer.
#[derive(Debug)]
struct AnswerLost;

impl std::fmt::Display for AnswerLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("answer lost by fault injection")
    }
}

impl std::error::Error for AnswerLost {}

impl ConnKill {
    /// Drop the connection as soon as the connection task is polled again. The caller should then
    /// never complete its response (await a pending future), so nothing is written back.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// Serve `app` over TLS on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let tls_stream = tokio::select! {
                r = acceptor.accept(tcp) => match r {
                    Ok(s) => s,
                    Err(err) => {
                        tracing::debug!(%err, %peer, "TLS handshake failed");
                        return;
                    }
                },
                _ = shutdown.changed() => return,
            };
            let kill = Arc::new(Notify::new());
            let conn_kill = ConnKill(kill.clone());
            let service =
                hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(conn_kill.clone());
                    let app = app.clone();
                    async move {
                        let response = match app.oneshot(req.map(axum::body::Body::new)).await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<LoseAnswer>().is_some() {
                            return Err(AnswerLost);
                        }
                        Ok(response)
                    }
                });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
            tokio::pin!(conn);
            tokio::select! {
                biased;
                _ = kill.notified() => {
                    tracing::debug!(%peer, "connection cut by fault injection");
                }
                _ = shutdown.changed() => {}
                r = conn.as_mut() => {
                    if let Err(err) = r {
                        tracing::debug!(%err, %peer, "connection ended with an error");
                    }
                }
            }
        });
    }
}
