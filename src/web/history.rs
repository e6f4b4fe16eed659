//! Reading what was said under `/api`: history pages of a conversation or a server
//! (asking the network for older lines through chathistory when the store runs out),
//! search, and notifications. Read straight from the store, always for the logged-in
//! user only: another user's conversations are 404.

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
use crate::wire::{self, Empty, MessagePage};

/// Routes under `/api` for history, search and notifications.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connection/{cid}/messages", get(server_messages))
        .route(
            "/connection/{cid}/conversation/{conversation}/messages",
            get(messages),
        )
        .route("/search", get(search))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(notifications_read))
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
    // The page and the own nick (which lines are "self") at once: two waits in parallel.
    let (found, own) = tokio::join!(
        page_of(state, s.user.id, cid, conversation, page),
        own_nick(state, &s.user, cid)
    );
    let (conv_id, mut h) = found?;
    // Scrolled past the oldest stored line: the IRC server may have older history.
    if let (At::Before(cursor), true, false) = (page.at, h.oldest, conv_id.is_empty()) {
        if older_from_server(state, s, cid, &conv_id, cursor, &h).await {
            h = state.store.history(s.user.id, cid, &conv_id, page).await?;
        }
    }
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

/// The page of `conversation` and the id it is stored under: ids the server sent are
/// folded by the network's case mapping and match as they are; a typed URL in another
/// case is tried in lower case. 404 when the user has neither.
async fn page_of(
    state: &AppState,
    user: UserId,
    cid: &str,
    conversation: &str,
    page: Page,
) -> Result<(String, crate::store::History), Error> {
    match state.store.history(user, cid, conversation, page).await {
        Err(crate::store::Error::NotFound(_)) => {}
        found => return Ok((conversation.to_string(), found?)),
    }
    let lower = conversation.to_lowercase();
    match state.store.history(user, cid, &lower, page).await {
        Err(crate::store::Error::NotFound(_)) => Err(Error::not_found(format!(
            "/connection/{cid}/conversation/{conversation}"
        ))),
        found => Ok((lower, found?)),
    }
}

async fn own_nick(state: &AppState, user: &crate::model::User, cid: &str) -> String {
    let connection_id = cid.to_string();
    state
        .actor(user)
        .ask(|reply| user::Request::Nick {
            connection_id,
            reply,
        })
        .await
        .unwrap_or_default()
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
        // As the server sent it: ids are folded by the network's case mapping.
        q.conversation_id = Some(c);
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
