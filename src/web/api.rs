//! Connections, conversations, messages, search and notifications under `/api`.
//! Every query is scoped to the logged-in user: another user's objects are 404.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::session::Session;
use super::{AppState, Error};
use crate::model::{MessageId, UserId};
use crate::store::{At, Cursor, Page, SearchQuery};
use crate::user;
use crate::wire::{self, ConnectionList, ConversationList, Empty, MessagePage, ParticipantList};

/// Routes under `/api` for chat data.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connections", get(list_connections).post(add_connection))
        .route(
            "/connection/{cid}",
            post(update_connection).delete(delete_connection),
        )
        .route("/conversations", get(list_conversations))
        .route("/connection/{cid}/messages", get(server_messages))
        .route(
            "/connection/{cid}/conversation/{conversation}/messages",
            get(messages),
        )
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
        .route("/search", get(search))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(notifications_read))
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

/// The user's actor (started on demand: it may have been stopped by an admin edit).
pub(super) fn actor(state: &AppState, user: &crate::model::User) -> user::Handle {
    state
        .users
        .get(user.id)
        .unwrap_or_else(|| state.users.start(user.clone()))
}

/// The user's connections (also used by `GET /api/user`).
pub async fn connections(state: &AppState, user: &crate::model::User) -> Vec<wire::Connection> {
    let h = actor(state, user);
    h.ask(|reply| user::Request::Connections { reply })
        .await
        .unwrap_or_default()
}

/// The user's conversations (also used by `GET /api/user`).
pub async fn conversations(state: &AppState, user: &crate::model::User) -> Vec<wire::Conversation> {
    let h = actor(state, user);
    h.ask(|reply| user::Request::Conversations { reply })
        .await
        .unwrap_or_default()
}

async fn list_connections(State(state): State<AppState>, s: Session) -> Json<ConnectionList> {
    Json(ConnectionList {
        connections: connections(&state, &s.user).await,
    })
}

async fn list_conversations(State(state): State<AppState>, s: Session) -> Json<ConversationList> {
    Json(ConversationList {
        conversations: conversations(&state, &s.user).await,
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
    let res = actor(&state, &s.user)
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
    let res = actor(&state, &s.user)
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
    actor(&state, &s.user)
        .ask(|reply| user::Request::DeleteConnection {
            connection_id: cid,
            reply,
        })
        .await?;
    Ok(Json(Empty {}))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    before: Option<String>,
    after: Option<String>,
    around: Option<String>,
    limit: Option<usize>,
}

/// A cursor from a message id or an RFC 3339 time.
fn cursor(s: &str, path: &str) -> Result<Cursor, Error> {
    if let Ok(id) = s.parse::<i64>() {
        return Ok(Cursor::Id(MessageId(id)));
    }
    crate::time::parse_rfc3339(s)
        .map(Cursor::Time)
        .ok_or_else(|| {
            Error::new(
                StatusCode::BAD_REQUEST,
                "Expected a message id or an RFC 3339 time.",
                path,
            )
        })
}

impl PageQuery {
    fn page(&self) -> Result<Page, Error> {
        let at = match (&self.before, &self.after, &self.around) {
            (Some(b), _, _) => At::Before(cursor(b, "/before")?),
            (_, Some(a), _) => At::After(cursor(a, "/after")?),
            (_, _, Some(a)) => At::Around(cursor(a, "/around")?),
            _ => At::Latest,
        };
        Ok(Page::new(at).limit(
            self.limit
                .unwrap_or(Page::DEFAULT_LIMIT)
                .clamp(1, Page::MAX_LIMIT),
        ))
    }
}

async fn messages(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<MessagePage>, Error> {
    history(&state, &s, &cid, &conversation, &q).await
}

async fn server_messages(
    State(state): State<AppState>,
    s: Session,
    Path(cid): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<MessagePage>, Error> {
    history(&state, &s, &cid, "", &q).await
}

async fn history(
    state: &AppState,
    s: &Session,
    cid: &str,
    conversation: &str,
    q: &PageQuery,
) -> Result<Json<MessagePage>, Error> {
    let page = q.page()?;
    let conv = conversation.to_lowercase();
    let exists = state.store.conversation(s.user.id, cid, &conv).await?;
    let exists = match exists {
        Some(_) => true,
        None => state
            .store
            .conversation(s.user.id, cid, conversation)
            .await?
            .is_some(),
    };
    if !exists {
        return Err(Error::not_found(format!(
            "/connection/{cid}/conversation/{conversation}"
        )));
    }
    let conv_id = if state
        .store
        .conversation(s.user.id, cid, &conv)
        .await?
        .is_some()
    {
        conv
    } else {
        conversation.to_string()
    };
    let mut h = state.store.history(s.user.id, cid, &conv_id, page).await?;
    // Scrolled past the oldest stored line: the IRC server may have older history.
    if let (At::Before(cursor), true, false) = (page.at, h.oldest, conv_id.is_empty()) {
        if older_from_server(state, s, cid, &conv_id, cursor, &h).await {
            h = state.store.history(s.user.id, cid, &conv_id, page).await?;
        }
    }
    let own = own_nick(state, &s.user, cid).await;
    let before = (!h.oldest)
        .then(|| h.messages.first().map(|m| m.id.0))
        .flatten();
    let after = (!h.newest)
        .then(|| h.messages.last().map(|m| m.id.0))
        .flatten();
    Ok(Json(MessagePage {
        messages: h
            .messages
            .iter()
            .map(|e| wire::Message::new(e, &own))
            .collect(),
        end: h.end,
        before,
        after,
    }))
}

/// Asks the user's actor for history older than the page (chathistory), waiting at most
/// a few seconds; `true` when something was stored.
async fn older_from_server(
    state: &AppState,
    s: &Session,
    cid: &str,
    conv_id: &str,
    cursor: Cursor,
    h: &crate::store::History,
) -> bool {
    let before = match (h.messages.first(), cursor) {
        (Some(m), _) => Some(m.time),
        (None, Cursor::Time(t)) => Some(t),
        (None, Cursor::Id(id)) => state.store.message_time(s.user.id, id).await.ok().flatten(),
    };
    let (Some(before), Some(handle)) = (before, state.users.get(s.user.id)) else {
        return false;
    };
    let ask = handle.ask(|reply| user::Request::FetchOlder {
        connection_id: cid.to_string(),
        conversation_id: conv_id.to_string(),
        before,
        reply,
    });
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(5), ask).await,
        Ok(Ok(true))
    )
}

async fn own_nick(state: &AppState, user: &crate::model::User, cid: &str) -> String {
    connections(state, user)
        .await
        .into_iter()
        .find(|c| c.connection_id == cid)
        .map(|c| c.nick)
        .unwrap_or_default()
}

async fn participants(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
) -> Result<Json<ParticipantList>, Error> {
    let participants = actor(&state, &s.user)
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
    let page = actor(&state, &s.user)
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
    let res = actor(&state, &s.user)
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
    read(&state, &s.user, cid, conversation.to_lowercase(), body).await
}

/// Sets a conversation's notification level, mute and sound (every browser follows).
async fn set_notify(
    State(state): State<AppState>,
    s: Session,
    Path((cid, conversation)): Path<(String, String)>,
    req: Result<Json<crate::notify::Notify>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<wire::Conversation>, Error> {
    let notify = super::error::body(req)?;
    let conversation = actor(&state, &s.user)
        .ask(|reply| user::Request::SetNotify {
            connection_id: cid,
            conversation_id: conversation.to_lowercase(),
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
    let res = actor(state, user)
        .ask(|reply| user::Request::MarkRead {
            connection_id: cid,
            conversation_id: conv,
            last_read,
            reply,
        })
        .await?;
    Ok(Json(res))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(rename = "match")]
    text: Option<String>,
    from: Option<String>,
    connection_id: Option<String>,
    conversation_id: Option<String>,
    after: Option<String>,
    before: Option<String>,
    limit: Option<usize>,
}

fn time_param(s: &Option<String>, path: &str) -> Result<Option<i64>, Error> {
    match s.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => crate::time::parse_rfc3339(v)
            .or_else(|| parse_date(v))
            .map(Some)
            .ok_or_else(|| {
                Error::new(
                    StatusCode::BAD_REQUEST,
                    "Expected an RFC 3339 time or YYYY-MM-DD.",
                    path,
                )
            }),
    }
}

fn parse_date(s: &str) -> Option<i64> {
    crate::time::parse_rfc3339(&format!("{s}T00:00:00Z"))
}

async fn search(
    State(state): State<AppState>,
    s: Session,
    Query(p): Query<SearchParams>,
) -> Result<Json<MessagePage>, Error> {
    let mut q = SearchQuery::parse(p.text.as_deref().unwrap_or(""));
    if let Some(f) = p.from.filter(|f| !f.is_empty()) {
        q.from = Some(f);
    }
    if let Some(c) = p.connection_id.filter(|c| !c.is_empty()) {
        q.connection_id = Some(c);
    }
    if let Some(c) = p.conversation_id.filter(|c| !c.is_empty()) {
        q.conversation_id = Some(c.to_lowercase());
    }
    if let Some(a) = time_param(&p.after, "/after")? {
        q.after = Some(a);
    }
    // `before` is the id of the last result when paging, or a time.
    match p.before.as_deref().map(str::parse::<i64>) {
        Some(Ok(id)) => q.before_id = Some(MessageId(id)),
        _ => {
            if let Some(b) = time_param(&p.before, "/before")? {
                q.before = Some(b);
            }
        }
    }
    if let Some(l) = p.limit {
        q.limit = Some(l.clamp(1, 200));
    }
    let res = state
        .store
        .search(s.user.id, q)
        .await
        .map_err(|e| match e {
            crate::store::Error::Invalid(m) => Error::new(StatusCode::BAD_REQUEST, m, "/match"),
            crate::store::Error::Timeout => Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The search took too long: narrow it with from:, in: or a date.",
                "/match",
            ),
            other => Error::from(other),
        })?;
    Ok(Json(MessagePage {
        messages: res
            .messages
            .iter()
            .map(|e| wire::Message::new(e, ""))
            .collect(),
        end: res.end,
        before: None,
        after: None,
    }))
}

#[derive(Debug, Deserialize)]
struct NotificationQuery {
    before: Option<i64>,
    limit: Option<usize>,
}

async fn notifications(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<NotificationQuery>,
) -> Result<Json<MessagePage>, Error> {
    let limit = q.limit.unwrap_or(40).clamp(1, 200);
    let list = state
        .store
        .notifications(s.user.id, q.before.map(MessageId), limit + 1)
        .await?;
    let end = list.len() <= limit;
    let messages = list
        .iter()
        .take(limit)
        .map(|n| wire::Message {
            read: Some(n.read),
            ..wire::Message::new(&n.entry, "")
        })
        .collect();
    Ok(Json(MessagePage {
        messages,
        end,
        before: None,
        after: None,
    }))
}

async fn notifications_read(
    State(state): State<AppState>,
    s: Session,
) -> Result<Json<Empty>, Error> {
    mark_all_read(&state, s.user.id).await?;
    Ok(Json(Empty {}))
}

async fn mark_all_read(state: &AppState, user_id: UserId) -> Result<(), Error> {
    state.store.mark_notifications_read(user_id, None).await?;
    Ok(())
}
