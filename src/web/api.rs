//! Connections, conversations, participants, channel lists and read markers under
//! `/api` (history, search and notifications are in `web::history`).
//! Every query is scoped to the logged-in user: another user's objects are 404.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::session::Session;
use super::{AppState, Error};
use crate::model::MessageId;
use crate::user;
use crate::wire::{self, ConnectionList, ConversationList, Empty, ParticipantList};

/// Routes under `/api` for chat data.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connections", get(list_connections).post(add_connection))
        .route(
            "/connection/{cid}",
            post(update_connection).delete(delete_connection),
        )
        .route("/conversations", get(list_conversations))
        .route(
            "/connection/{cid}/conversation/{conversation}/read",
            post(mark_read),
        )
        .route(
            "/connection/{cid}/conversation/{conversation}/notify",
            post(set_notify),
        )
        .route(
            "/connection/{cid}/conversation/{conversation}/participants",
            get(participants),
        )
        .route("/connection/{cid}/read", post(mark_server_read))
        .route("/connection/{cid}/certificate", post(client_certificate))
        .route("/connection/{cid}/channels", get(channels))
        .route("/commands", get(commands))
        .route("/irc-url", get(irc_url))
}

/// The slash commands (for clients' completion); logged-in users only, like all of `/api`.
async fn commands(_: Session) -> Json<wire::CommandList> {
    Json(wire::CommandList::all())
}

#[derive(Debug, Deserialize)]
struct UrlQuery {
    url: String,
}

/// An `irc://` URL read as the server reads it (the connect form prefills from it).
async fn irc_url(s: Session, Query(q): Query<UrlQuery>) -> Result<Json<wire::Server>, Error> {
    let nick = s.user.email.split('@').next().unwrap_or("guest");
    let nick = if crate::irc::url::valid_nick(nick) {
        nick
    } else {
        "guest"
    };
    crate::irc::url::Config::parse(&q.url, nick)
        .map(|c| Json(wire::Server::from(&c)))
        .map_err(|e| Error::new(StatusCode::BAD_REQUEST, e.to_string(), "/url"))
}

async fn list_connections(State(state): State<AppState>, s: Session) -> Json<ConnectionList> {
    let asked = state.actor(&s.user);
    let asked = asked.ask(|reply| user::Request::Connections { reply });
    Json(ConnectionList {
        connections: asked.await.unwrap_or_default(),
    })
}

async fn list_conversations(State(state): State<AppState>, s: Session) -> Json<ConversationList> {
    let asked = state.actor(&s.user);
    let asked = asked.ask(|reply| user::Request::Conversations { reply });
    Json(ConversationList {
        conversations: asked.await.unwrap_or_default(),
    })
}

/// At most a century: larger values are a typo, not a policy.
const MAX_RETENTION_DAYS: u32 = 36_500;

/// The checked settings of a connection request.
fn changes(body: wire::ConnectionRequest) -> Result<user::ConnectionChanges, Error> {
    if body.retention_days.is_some_and(|d| d > MAX_RETENTION_DAYS) {
        return Err(Error::new(
            StatusCode::BAD_REQUEST,
            "retention_days must be 0 (keep everything) to 36500.",
            "/retention_days",
        ));
    }
    let (url, server) = match (body.url, body.server) {
        (Some(_), Some(_)) => {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "Give url or server, not both.",
                "/server",
            ))
        }
        (url, None) => (url, None),
        (None, Some(server)) => (None, Some(server_fields(server)?)),
    };
    Ok(user::ConnectionChanges {
        url,
        server,
        on_connect_commands: body.on_connect_commands,
        wanted_state: body.wanted_state,
        retention_days: body.retention_days,
        ignore: body.ignore,
        name: body.name,
    })
}

/// A form's fields, checked (the user actor makes the URL, then parses and checks it).
fn server_fields(s: wire::ServerInput) -> Result<crate::irc::url::Fields, Error> {
    let bad = |m: &str, path: &str| Error::new(StatusCode::BAD_REQUEST, m, path);
    if s.host.trim().is_empty() {
        return Err(bad("Missing property.", "/server/host"));
    }
    if s.host
        .contains(|c: char| c.is_whitespace() || "/?#@[]".contains(c))
    {
        return Err(bad("Invalid host.", "/server/host"));
    }
    let mut channels = vec![];
    for item in s.channels.unwrap_or_default().iter().take(100) {
        let mut words = item.split_whitespace();
        let (Some(name), key) = (words.next(), words.next()) else {
            continue;
        };
        if words.next().is_some() || item.contains(',') {
            return Err(bad(
                "A channel is a name and an optional key, without commas.",
                "/server/channels",
            ));
        }
        channels.push((name.to_string(), key.unwrap_or("").to_string()));
    }
    let tls = s.tls.unwrap_or(true);
    Ok(crate::irc::url::Fields {
        host: s.host.trim().to_string(),
        port: s.port.unwrap_or(0),
        tls,
        nick: s.nick,
        channels,
        account: s.account.unwrap_or_default(),
        password: s.password.unwrap_or_default().into(),
    })
}

async fn add_connection(
    State(state): State<AppState>,
    s: Session,
    req: Result<Json<wire::ConnectionRequest>, JsonRejection>,
) -> Result<Json<wire::Connection>, Error> {
    let changes = changes(super::error::body(req)?)?;
    if changes.server.is_none() && changes.url.as_ref().is_none_or(|u| u.trim().is_empty()) {
        return Err(Error::new(
            StatusCode::BAD_REQUEST,
            "Missing property.",
            "/url",
        ));
    }
    // What the user may connect to is checked by the user actor, for adds and edits alike.
    let res = state
        .actor(&s.user)
        .ask(|reply| user::Request::AddConnection { changes, reply })
        .await?;
    Ok(Json(res))
}

async fn update_connection(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
    req: Result<Json<wire::ConnectionRequest>, JsonRejection>,
) -> Result<Json<wire::Connection>, Error> {
    let changes = changes(super::error::body(req)?)?;
    let res = state
        .actor(&s.user)
        .ask(|reply| user::Request::UpdateConnection {
            connection_id: cid,
            changes,
            reply,
        })
        .await?;
    Ok(Json(res))
}

async fn delete_connection(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
) -> Result<Json<Empty>, Error> {
    state
        .actor(&s.user)
        .ask(|reply| user::Request::DeleteConnection {
            connection_id: cid,
            reply,
        })
        .await?;
    Ok(Json(Empty {}))
}

async fn participants(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
) -> Result<Json<ParticipantList>, Error> {
    let participants = state
        .actor(&s.user)
        .ask(|reply| user::Request::Participants {
            connection_id: cid,
            conversation_id: conversation,
            reply,
        })
        .await?;
    Ok(Json(ParticipantList { participants }))
}

#[derive(Debug, Deserialize)]
struct ChannelsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

/// The connection's channel list from the last `/list` (never stored; kept a while).
async fn channels(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
    Query(q): Query<ChannelsQuery>,
) -> Result<Json<wire::ChannelPage>, Error> {
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("users") => user::ChannelSort::Users,
        Some("name") => user::ChannelSort::Name,
        Some(_) => {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "sort must be users or name.",
                "/sort",
            ))
        }
    };
    let query = user::ChannelQuery {
        q: q.q.chars().take(200).collect(),
        sort,
        limit: q.limit.unwrap_or(200),
    };
    let page = state
        .actor(&s.user)
        .ask(|reply| user::Request::Channels {
            connection_id: cid,
            query,
            reply,
        })
        .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize, Default)]
struct CertBody {
    #[serde(default)]
    renew: bool,
}

async fn client_certificate(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
    body: Option<Json<CertBody>>,
) -> Result<Json<wire::Connection>, Error> {
    let renew = body.map(|b| b.0.renew).unwrap_or(false);
    let res = state
        .actor(&s.user)
        .ask(|reply| user::Request::ClientCertificate {
            connection_id: cid,
            renew,
            reply,
        })
        .await?;
    Ok(Json(res))
}

#[derive(Debug, Deserialize, Default)]
struct ReadBody {
    last_read: Option<i64>,
}

async fn mark_read(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
    body: Option<Json<ReadBody>>,
) -> Result<Json<wire::Conversation>, Error> {
    read(&state, &s.user, cid, conversation, body).await
}

/// Sets a conversation's notification level, mute and sound (every browser follows).
async fn set_notify(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
    req: Result<Json<crate::notify::Notify>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<wire::Conversation>, Error> {
    let notify = super::error::body(req)?;
    let conversation = state
        .actor(&s.user)
        .ask(|reply| user::Request::SetNotify {
            connection_id: cid,
            conversation_id: conversation,
            notify,
            reply,
        })
        .await?;
    Ok(Json(conversation))
}

async fn mark_server_read(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
    body: Option<Json<ReadBody>>,
) -> Result<Json<wire::Conversation>, Error> {
    read(&state, &s.user, cid, String::new(), body).await
}

async fn read(
    state: &AppState,
    user: &crate::model::User,
    cid: String,
    conv: String,
    body: Option<Json<ReadBody>>,
) -> Result<Json<wire::Conversation>, Error> {
    let last_read = body.and_then(|b| b.0.last_read).map(MessageId);
    let res = state
        .actor(user)
        .ask(|reply| user::Request::MarkRead {
            connection_id: cid,
            conversation_id: conv,
            last_read,
            reply,
        })
        .await?;
    Ok(Json(res))
}
