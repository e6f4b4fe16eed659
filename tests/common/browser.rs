//! A logged-in user as a browser tab drives the daemon: JSON over HTTP with cookies, and
//! the /events WebSocket.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use super::Daemon;

pub struct Browser {
    pub http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Browser {
    /// Registers `email` (the first user becomes admin) and keeps the session cookie.
    pub async fn register(d: &Daemon, email: &str) -> Browser {
        Self::sign(d, "/api/user/register", email).await
    }

    /// Signs `email` in (password of [`Browser::register`]) and keeps the session cookie.
    #[allow(dead_code)]
    pub async fn login(d: &Daemon, email: &str) -> Browser {
        Self::sign(d, "/api/user/login", email).await
    }

    async fn sign(d: &Daemon, path: &str, email: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client");
        let b = Browser {
            http,
            jar,
            base: d.url(""),
        };
        let (st, body) = b
            .post(
                path,
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(st, 200, "{path} {email}: {body}");
        b
    }

    /// The same signed-in browser talking to daemon `d` (a load balancer's choice): the
    /// cookie is the host's, whatever the port.
    #[allow(dead_code)]
    pub fn on(&self, d: &Daemon) -> Browser {
        Browser {
            http: self.http.clone(),
            jar: self.jar.clone(),
            base: d.url(""),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.delete_with(path, None).await
    }

    /// DELETE with a JSON body (deleting one's own account takes the password).
    pub async fn delete_with(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.delete(format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.expect("DELETE");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Opens /events with our own Origin.
    pub async fn events(&self) -> Events {
        let url = format!("{}/events", self.base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().expect("request");
        let cookie = self
            .jar
            .cookies(&self.base.parse().expect("url"))
            .expect("logged in");
        req.headers_mut().insert("cookie", cookie);
        req.headers_mut()
            .insert("origin", self.base.parse().expect("origin"));
        let (s, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("ws connect");
        Events { s }
    }
}

/// The user's event stream.
pub struct Events {
    s: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Events {
    /// The next event that satisfies `pred` (≤ 20 s).
    pub async fn wait(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.s.next())
                .await
                .expect("event in time")
                .expect("open")
                .expect("frame");
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).expect("json");
                if pred(&v) {
                    return v;
                }
            }
        }
    }

    /// The next event, `None` once the socket closed or failed.
    #[allow(dead_code)]
    pub async fn next_value(&mut self) -> Option<Value> {
        loop {
            match self.s.next().await? {
                Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The message of the next `disconnected` state of connection `cid`.
    pub async fn disconnected(&mut self, cid: &str) -> String {
        let v = self
            .wait(|v| {
                v["type"] == "connection"
                    && v["connection_id"] == cid
                    && v["state"] == "disconnected"
            })
            .await;
        v["message"].as_str().unwrap_or_default().to_string()
    }
}
