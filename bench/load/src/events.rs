//! `/events` clients: users `--from`..=`--to` each log in and open one WebSocket, touch
//! `--ready-file` when all are open, then collect `message` events whose text starts with
//! `--tag`. Latency = receive time − the `t=` the bot embedded (same machine, same clock).
//! Ends when `--expect` messages (in all) arrived, after `--idle-secs` without one, or at
//! `--max-secs`. Prints one JSON line.

use crate::http::login;
use crate::{fmt_n, pct, sent_nanos, unix_nanos, Args};
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub async fn run(a: &Args) -> Result<(), String> {
    let addr = a.req("addr");
    let email = a.req("email");
    let password = a.req("password");
    let tag = format!("{} ", a.req("tag"));
    let (from, to) = (a.num("from", 1), a.num("to", 1));
    let expect = a.num("expect", 0);
    let deadline = Instant::now() + a.secs("max-secs", 120);
    let idle = a.secs("idle-secs", 10);

    let (tx, mut rx) = mpsc::unbounded_channel::<f64>();
    let mut sockets = Vec::new();
    for n in from..=to {
        let cookie = login(&addr, &fmt_n(&email, n), &password).await?;
        let mut req = format!("ws://{addr}/events")
            .into_client_request()
            .map_err(|e| e.to_string())?;
        req.headers_mut()
            .insert("Cookie", cookie.parse().map_err(|_| "bad cookie")?);
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| format!("websocket for user {n}: {e}"))?;
        sockets.push(ws);
    }
    for ws in sockets {
        let tx = tx.clone();
        let tag = tag.clone();
        tokio::spawn(async move {
            let (_sink, mut stream) = ws.split();
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let now = unix_nanos();
                // Cheap filter before parsing: only our tagged messages.
                if !text.contains(&tag) {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                if v["event"] != "message" {
                    continue;
                }
                let body = v["message"].as_str().unwrap_or("");
                if let (true, Some(t)) = (body.starts_with(&tag), sent_nanos(body)) {
                    let _ = tx.send(now.saturating_sub(t) as f64 / 1e6);
                }
            }
        });
    }
    drop(tx);
    let clients = to - from + 1;
    if let Some(f) = a.0.get("ready-file") {
        std::fs::write(f, "ready\n").map_err(|e| e.to_string())?;
    }
    eprintln!("events: {clients} websockets open");
    let mut lat = Vec::new();
    let mut last = Instant::now();
    while (expect == 0 || (lat.len() as u64) < expect) && Instant::now() < deadline {
        let wait = if lat.is_empty() {
            deadline - Instant::now()
        } else {
            idle.saturating_sub(last.elapsed())
        };
        match tokio::time::timeout(wait.max(Duration::from_millis(1)), rx.recv()).await {
            Ok(Some(ms)) => {
                lat.push(ms);
                last = Instant::now();
            }
            _ => break,
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"clients\":{clients},\"received\":{},\"expected\":{expect},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
