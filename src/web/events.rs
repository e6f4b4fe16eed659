//! `GET /events`: one WebSocket per browser tab. Authenticated by the session cookie,
//! Origin-checked, resumable with `?since=SEQ`; requests carry an `id` that the reply
//! repeats. A socket that falls behind is closed with code 4000 ("resync") rather than
//! silently skipping events. A socket whose session ends (logout, password change or
//! reset, account deletion) is closed with 4003 ("session ended") at once; one whose
//! session was ended elsewhere (`convos user passwd`, expiry) at the next ping.
//!
//! Fan-out: the hub serializes each event once per user; every socket writes those same
//! bytes (no copy per socket), and frames already waiting when one is written go out
//! with it under one flush (one write to the socket), each still its own WebSocket
//! message as the protocol has it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::SinkExt;
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;
use tracing::debug;

use super::session::Session;
use super::{AppState, Error};
use crate::metrics::latency::{self, Stage};
use crate::user::{self, Frame};
use crate::wire::{
    ClientFrame, ClientRequest, ErrorItem, Errors, Reload, ReloadTag, Reply, ReplyBody,
};

/// Largest frame a browser may send.
const MAX_FRAME: usize = 64 * 1024;
/// What one read from a browser's socket takes at most. tungstenite zero-fills this much
/// of its buffer before every read, also the many that find nothing (a socket's task
/// polls its read side each time it wakes to write): at the default 128 KiB that memset
/// was 3.6 % of the daemon's CPU with 20 browsers (BENCHMARKS.md, issue 22). Browsers
/// send small frames; a bigger one is read in several reads.
const READ_BUFFER: usize = 4 * 1024;
/// Frames written with one flush at most (see [`write_burst`]).
const BURST: usize = 64;
/// Server ping interval; a socket silent for three of these is closed.
const PING_EVERY: Duration = Duration::from_secs(25);

/// The `/events` route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(upgrade))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    since: Option<u64>,
}

async fn upgrade(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<EventsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    // Browsers always send Origin on a WebSocket; a foreign one is cross-site hijacking.
    if !super::origin::origin_allowed_at(&headers, uri.authority(), &state.config) {
        return Error::new(StatusCode::FORBIDDEN, "Invalid origin.", "/events").into_response();
    }
    // Registered before the session is checked again, so that a logout racing this
    // upgrade either finds the registration or has already deleted the session.
    let live = state.live.register(session.user.id, &session.token_hash);
    if !session.alive(&state).await {
        return Error::new(StatusCode::UNAUTHORIZED, "Need to log in first.", "/").into_response();
    }
    let handle = state.actor(&session.user);
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| run(socket, state, session, live, handle, q.since))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn run(
    mut socket: WebSocket,
    state: AppState,
    session: Session,
    live: super::live::Registration,
    handle: user::Handle,
    since: Option<u64>,
) {
    let _watch = handle.hub.watch();
    let mut activity = handle.hub.activity();
    let _counted = crate::metrics::WebSocketGauge::new();
    let (missed, mut rx) = match handle.hub.subscribe(since) {
        Ok(x) => x,
        Err(user::Gone) => {
            crate::metrics::get().events_reload.inc();
            // Too old to replay: the browser reloads its state, then follows live events.
            let live = handle.hub.subscribe(None).map(|(_, rx)| rx);
            let reload = Reload {
                event: ReloadTag::Reload,
                seq: handle.hub.next_seq().saturating_sub(1),
            };
            if socket
                .send(Message::Text(to_json(&reload).into()))
                .await
                .is_err()
            {
                return;
            }
            match live {
                Ok(rx) => (Vec::new(), rx),
                Err(_) => return,
            }
        }
    };
    for f in &missed {
        if socket.feed(text(f)).await.is_err() {
            return;
        }
    }
    if socket.flush().await.is_err() {
        return;
    }
    drop(missed);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            _ = live.ended.cancelled() => {
                let _ = socket.send(close(4003, "session ended")).await;
                return;
            }
            // The user's actor stopped (the user moved to another daemon, or this one
            // stops): the browser reconnects and resyncs wherever the user runs now.
            _ = handle.closed() => {
                // An account being deleted stops its actor first, then its sessions.
                let ended = tokio::time::timeout(
                    std::time::Duration::from_secs(1),
                    live.ended.cancelled(),
                )
                .await
                .is_ok()
                    || !session.alive(&state).await;
                let _ = match ended {
                    // The account was deleted: its session went with it.
                    true => socket.send(close(4003, "session ended")).await,
                    false => socket.send(close(4000, "resync")).await,
                };
                return;
            }
            frame = rx.recv() => {
                let lagged = match frame {
                    Ok(f) => match write_burst(&mut socket, &mut rx, f).await {
                        Ok(None) => continue,
                        Ok(Some(n)) => n,
                        Err(()) => return,
                    },
                    Err(RecvError::Lagged(n)) => n,
                    Err(RecvError::Closed) => return,
                };
                debug!(skipped = lagged, "websocket fell behind: resync");
                crate::metrics::get().events_resync.inc();
                let _ = socket.send(close(4000, "resync")).await;
                return;
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > PING_EVERY * 3 {
                    let _ = socket.send(close(4001, "idle")).await;
                    return;
                }
                if !session.alive(&state).await {
                    let _ = socket.send(close(4003, "session ended")).await;
                    return;
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                last_heard = Instant::now();
                match msg {
                    Message::Text(t) => {
                        let reply = request(&state, &session, &handle, &mut activity, t.as_str()).await;
                        if socket.send(Message::Text(reply.into())).await.is_err() {
                            return;
                        }
                    }
                    Message::Binary(_) => {
                        let e = errors(None, "Binary frames are not supported.", "/");
                        if socket.send(Message::Text(e.into())).await.is_err() {
                            return;
                        }
                    }
                    Message::Close(_) => return,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
        }
    }
}

/// A frame's text message: its bytes shared, not copied (checked as UTF-8, which the hub's
/// JSON always is).
fn text(f: &Frame) -> Message {
    Message::Text(Utf8Bytes::try_from(f.json.clone()).unwrap_or_default())
}

/// Writes `first` and the frames already waiting behind it (at most [`BURST`]) with one
/// flush: a burst goes out in one write instead of one per frame. `Ok(Some(n))`: the
/// socket fell `n` events behind and must resync; `Err`: the socket is gone.
async fn write_burst(
    socket: &mut WebSocket,
    rx: &mut broadcast::Receiver<Arc<Frame>>,
    first: Arc<Frame>,
) -> Result<Option<u64>, ()> {
    // Arrival stamps of the frames written, for the latency trace (all `None` when off).
    let mut stamps = [None; BURST];
    let mut n = 0;
    let mut lagged = None;
    let mut next = Some(first);
    while let Some(f) = next.take() {
        socket.feed(text(&f)).await.map_err(drop)?;
        stamps[n] = f.arrived;
        n += 1;
        if n < BURST {
            match rx.try_recv() {
                Ok(f) => next = Some(f),
                Err(TryRecvError::Lagged(k)) => lagged = Some(k),
                Err(TryRecvError::Empty | TryRecvError::Closed) => {}
            }
        }
    }
    socket.flush().await.map_err(drop)?;
    for arrived in &stamps[..n] {
        latency::observe(Stage::Write, *arrived);
    }
    Ok(lagged)
}

fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn errors(id: Option<u64>, message: &str, path: &str) -> String {
    to_json(&Errors {
        id,
        errors: vec![ErrorItem {
            message: message.to_string(),
            path: path.to_string(),
        }],
    })
}

/// Only the `id` of a frame, to answer one that is not a valid request.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<u64>,
}

/// One request frame → its reply.
async fn request(
    state: &AppState,
    session: &Session,
    handle: &user::Handle,
    activity: &mut user::Activity,
    text: &str,
) -> String {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(f) => f,
        Err(e) => {
            let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|f| f.id);
            let message = if e.is_syntax() || e.is_eof() {
                "Invalid JSON.".to_string()
            } else {
                format!("Invalid request: {e}.")
            };
            return errors(id, &message, "/");
        }
    };
    let id = frame.id;
    let body = match frame.request {
        ClientRequest::Ping => ReplyBody::Pong {
            ts: crate::time::format_ms(crate::time::now_ms()),
        },
        ClientRequest::Send { .. } if !session.may_send() => {
            return errors(id, "This API token may only read.", "/message");
        }
        ClientRequest::Rtc(_) if session.is_token() => {
            return errors(id, "API tokens cannot do that.", "/");
        }
        ClientRequest::Send {
            connection_id,
            conversation_id,
            message,
            reply_to,
        } => {
            let sent = handle
                .ask(|reply| user::Request::Send {
                    connection_id,
                    conversation_id,
                    message,
                    reply_to,
                    reply,
                })
                .await;
            match sent {
                Ok(sent) => ReplyBody::Sent(sent),
                Err(e) => return errors(id, &e.to_string(), "/message"),
            }
        }
        ClientRequest::Load => ReplyBody::Load {
            user: Box::new(
                super::auth::user_view(state, &session.user, super::auth::Include::ALL).await,
            ),
        },
        ClientRequest::Rtc(request) => {
            match handle
                .ask(|reply| user::Request::Rtc { request, reply })
                .await
            {
                Ok(()) => ReplyBody::Rtc,
                Err(e) => return errors(id, &e.to_string(), "/"),
            }
        }
        ClientRequest::Activity { active } => {
            activity.set(active);
            ReplyBody::Activity
        }
        ClientRequest::React { .. } if !session.may_send() => {
            return errors(id, "This API token may only read.", "/reaction");
        }
        ClientRequest::React {
            connection_id,
            conversation_id,
            msgid,
            reaction,
        } => {
            let done = handle
                .ask(|reply| user::Request::React {
                    connection_id,
                    conversation_id,
                    msgid,
                    reaction,
                    reply,
                })
                .await;
            match done {
                Ok(()) => ReplyBody::Reacted,
                Err(e) => return errors(id, &e.to_string(), "/reaction"),
            }
        }
        ClientRequest::Typing {
            connection_id,
            conversation_id,
            state,
        } => {
            handle
                .tell(user::Request::Typing {
                    connection_id,
                    conversation_id,
                    state,
                })
                .await;
            ReplyBody::Typing
        }
    };
    to_json(&Reply { id, body })
}
