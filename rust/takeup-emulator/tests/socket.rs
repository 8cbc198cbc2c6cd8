//! The device socket (Phoenix Channels over WebSocket): join, heartbeat, status pushes on
//! pause/resume, close on forget, refusal of bad tokens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

async fn connect(env: &Env, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    install_provider();
    let mut roots = rustls::RootCertStore::empty();
    let der = rustls_pemfile::certs(&mut env.emu.ca_pem.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    roots.add(der).unwrap();
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = env.emu.base_url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let tls = connector
        .connect("127.0.0.1".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let url = format!("wss://{addr}/devices/websocket?Authorization=Bearer%20{token}&vsn=1.0.0");
    tokio_tungstenite::client_async(url, tls)
        .await
        .map(|(ws, _)| ws)
}

async fn send(ws: &mut Ws, topic: &str, event: &str, reference: &str) {
    let f = json!({"topic": topic, "event": event, "payload": {}, "ref": reference});
    ws.send(Message::Text(f.to_string().into())).await.unwrap();
}

async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .ok()??
        {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

#[tokio::test]
async fn join_heartbeat_and_status_pushes() {
    let (env, t) = paired("ws-1").await;
    let me: Value = env.me(&t.access).await;
    let topic = format!("devices:{}", me["id"].as_str().unwrap());
    let mut ws = connect(&env, &t.access).await.unwrap();

    send(&mut ws, "devices:not-mine", "phx_join", "1").await;
    let r = next_json(&mut ws).await.unwrap();
    assert_eq!(r["event"], "phx_reply");
    assert_eq!(r["payload"]["status"], "error");

    send(&mut ws, &topic, "phx_join", "2").await;
    let r = next_json(&mut ws).await.unwrap();
    assert_eq!(r["ref"], "2");
    assert_eq!(r["payload"]["status"], "ok");

    send(&mut ws, "phoenix", "heartbeat", "3").await;
    let r = next_json(&mut ws).await.unwrap();
    assert_eq!(
        (r["topic"].as_str(), r["payload"]["status"].as_str()),
        (Some("phoenix"), Some("ok"))
    );

    env.control_post("/_emulator/device/pause", json!({})).await;
    let r = next_json(&mut ws).await.unwrap();
    assert_eq!(r["event"], "status_updated");
    assert_eq!(r["topic"], topic.as_str());
    assert_eq!(r["payload"]["status"], "paused");
    env.control_post("/_emulator/device/resume", json!({}))
        .await;
    let r = next_json(&mut ws).await.unwrap();
    assert_eq!(r["payload"]["status"], "online");

    // Joining by device_id works too.
    let mut ws2 = connect(&env, &t.access).await.unwrap();
    send(
        &mut ws2,
        &format!("devices:{}", me["device_id"].as_str().unwrap()),
        "phx_join",
        "1",
    )
    .await;
    assert_eq!(
        next_json(&mut ws2).await.unwrap()["payload"]["status"],
        "ok"
    );

    // Forgetting the device closes both sockets.
    env.control_post("/_emulator/device/forget", json!({}))
        .await;
    assert!(next_json(&mut ws).await.is_none());
    assert!(next_json(&mut ws2).await.is_none());
    // And the old token cannot open a new one.
    assert!(connect(&env, &t.access).await.is_err());
}

#[tokio::test]
async fn bad_tokens_idle_sockets_and_rotation() {
    let env = start().await;
    assert!(connect(&env, "garbage").await.is_err());
    env.settings(json!({"socket_idle_timeout_secs": 1})).await;
    let t = env.pair("ws-2").await;
    let mut ws = connect(&env, &t.access).await.unwrap();
    // Silence: the server closes after the idle timeout.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(next_json(&mut ws).await.is_none());

    env.settings(json!({"socket_idle_timeout_secs": 60})).await;
    let mut ws = connect(&env, &t.access).await.unwrap();
    // A refresh rotates the token: the socket opened with the old one is closed.
    assert!(env.refresh_status("ws-2", &t.refresh).await.is_success());
    assert!(next_json(&mut ws).await.is_none());
}
