//! In-process tests of the router (`tower::ServiceExt::oneshot`, no sockets): how the API
//! maps errors to statuses and the `{"errors":[{"message","path"}]}` shape, and that one
//! user cannot reach another's connection. The binary-level tests in `tests/` cover the
//! rest over real sockets.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::{router, AppState, Config};
use crate::model::{Connection, Conversation, Secret, UserId, WantedState};
use crate::store::{SessionDevice, Store};

/// A router over a fresh store with two users, `a` (owning the connection `irc-a` with
/// `#convos`) and `b`, each with a session cookie.
struct Harness {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
    a: UserId,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Default::default()).expect("open");
    let shutdown = CancellationToken::new();
    let users = crate::user::Registry::new(store.clone(), Default::default(), shutdown.clone());
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let hash = Secret::new("$argon2id$v=19$not-a-real-hash");
        let user = store
            .create_user(&format!("{name}@example.com"), hash, false)
            .await
            .expect("user");
        let token = crate::account::token_hash(&format!("token-{name}"));
        let expires = crate::time::now_ms() + 60_000;
        store
            .create_session(&token, user.id, expires, &SessionDevice::default())
            .await
            .expect("session");
        ids.push(user.id);
    }
    store
        .save_connection(Connection {
            user_id: ids[0],
            id: "irc-a".into(),
            url: Secret::new("irc://127.0.0.1:1"),
            nick: "a".into(),
            on_connect_commands: Vec::new(),
            // Never connects: the tests must not need an IRC server.
            wanted_state: WantedState::Disconnected,
            retention_days: 0,
            client_cert: None,
            ignore: Vec::new(),
            sts: None,
            name: None,
            state: Connection::empty_state(),
        })
        .await
        .expect("connection");
    store
        .save_conversation(Conversation::new(ids[0], "irc-a", "#convos", "#convos"))
        .await
        .expect("conversation");
    let files = crate::files::Files::new(dir.path(), Default::default()).expect("files");
    let state = AppState::new(super::state::Shared {
        store: store.clone(),
        users,
        config: Arc::new(Config::default()),
        live: Default::default(),
        files,
        previews: None,
        push: None,
        ready: Default::default(),
        cluster: None,
    });
    Harness {
        app: router(state),
        store,
        a: ids[0],
        _dir: dir,
        shutdown,
    }
}

impl Harness {
    /// Sends one request as `who` (`None`: no cookie) and returns the status and JSON body.
    async fn send(
        &self,
        who: Option<&str>,
        method: Method,
        uri: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(who) = who {
            req = req.header(header::COOKIE, format!("convos_session=token-{who}"));
        }
        if !body.is_empty() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Body::from(body.to_owned())).expect("request");
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// The error shape every API error has: one message for a path.
fn error_message(body: &Value) -> &str {
    let errors = body["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors[0]["path"].is_string(), "{body}");
    errors[0]["message"].as_str().expect("message")
}

#[tokio::test]
async fn anonymous_requests_get_401() {
    let h = harness().await;
    for (method, uri) in [
        (Method::GET, "/api/connections"),
        (Method::GET, "/api/user"),
        (Method::DELETE, "/api/connection/irc-a"),
        (
            Method::GET,
            "/api/connection/irc-a/conversation/%23x/messages",
        ),
    ] {
        let (status, body) = h.send(None, method, uri, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(error_message(&body), "Need to log in first.", "{uri}");
    }
}

#[tokio::test]
async fn bad_json_bodies_get_400_in_the_error_shape() {
    let h = harness().await;
    for body in ["{not json", "[1,2]", r#"{"url": 5}"#] {
        let (status, json) = h
            .send(Some("a"), Method::POST, "/api/connections", body)
            .await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(!error_message(&json).is_empty(), "{body}");
    }
    let (status, json) = h
        .send(Some("a"), Method::POST, "/api/connections", "{not json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["errors"][0]["path"], "/");
}

#[tokio::test]
async fn another_users_connection_is_404_and_stays() {
    let h = harness().await;
    let messages = "/api/connection/irc-a/conversation/%23convos/messages";
    let (status, _) = h.send(Some("a"), Method::GET, messages, "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h.send(Some("b"), Method::GET, messages, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_message(&body), "Not found.");
    let (status, body) = h
        .send(Some("b"), Method::DELETE, "/api/connection/irc-a", "")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(h
        .store
        .connection(h.a, "irc-a")
        .await
        .expect("read")
        .is_some());
}

#[tokio::test]
async fn unknown_api_paths_and_tokens() {
    let h = harness().await;
    let (status, body) = h
        .send(Some("a"), Method::GET, "/api/no-such-thing", "")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["path"], "/api/no-such-thing");
    let req = Request::get("/api/connections")
        .header(header::AUTHORIZATION, "Bearer not-a-token")
        .body(Body::empty())
        .expect("request");
    let res = h.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
