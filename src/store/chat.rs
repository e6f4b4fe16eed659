//! Connections and conversations: what each user has set up, and read state.
//!
//! Deleting a connection or conversation deletes its messages (and their index entries)
//! too. Secrets (URLs, on-connect commands, channel keys) are stored as given: the database
//! file is the user's data and must be protected as a whole (file mode, backups).

use super::db::{params, Conn, Optional, Row};
use super::rows::cid;
use super::{index, Error, Result, Store};
use crate::model::{
    Connection, Conversation, ConversationKind, MessageId, Secret, UserId, WantedState,
};

pub(super) const CONNECTION_COLS: &str =
    "user_id, id, url, nick, on_connect_commands, wanted_state, state, retention_days";
const CONVERSATION_COLS: &str =
    "user_id, connection_id, id, name, kind, key, topic, wanted, frozen, last_read, unread, highlights, notify";

fn json_err(e: serde_json::Error) -> Error {
    Error::Decode(e.to_string())
}

fn connection_from_row(r: &Row<'_>) -> Result<Connection> {
    let commands: String = r.get(4)?;
    let commands: Vec<String> = serde_json::from_str(&commands).map_err(json_err)?;
    let wanted: String = r.get(5)?;
    let state: String = r.get(6)?;
    let mut state: serde_json::Value = serde_json::from_str(&state).map_err(json_err)?;
    let client_cert = take_client_cert(&mut state);
    let ignore = take_ignore(&mut state);
    let sts = state
        .as_object_mut()
        .and_then(|o| o.remove("sts"))
        .and_then(|v| serde_json::from_value(v).ok());
    let name = state
        .as_object_mut()
        .and_then(|o| o.remove("name"))
        .and_then(|v| v.as_str().map(str::to_string));
    Ok(Connection {
        user_id: UserId(r.get(0)?),
        id: r.get(1)?,
        url: Secret::new(r.get::<usize, String>(2)?),
        nick: r.get(3)?,
        on_connect_commands: commands.into_iter().map(Secret::new).collect(),
        wanted_state: WantedState::parse(&wanted).unwrap_or(WantedState::Connected),
        retention_days: r.get::<usize, i64>(7)?.clamp(0, u32::MAX.into()) as u32,
        client_cert,
        ignore,
        sts,
        name,
        state,
    })
}

/// The ignore masks, stored in the `state` column as `{"ignore": [...]}`.
fn take_ignore(state: &mut serde_json::Value) -> Vec<String> {
    let Some(list) = state.as_object_mut().and_then(|o| o.remove("ignore")) else {
        return Vec::new();
    };
    serde_json::from_value(list).unwrap_or_default()
}

/// The client certificate is stored inside the `state` column (`{"client_cert": {"cert",
/// "key"}}`, as it always was) but kept out of the `state` value in memory, in a type
/// whose `Debug` hides the key.
fn take_client_cert(state: &mut serde_json::Value) -> Option<crate::model::ClientCert> {
    let c = state.as_object_mut()?.remove("client_cert")?;
    let cert = c.get("cert")?.as_str()?.to_owned();
    let key = c.get("key")?.as_str()?;
    Some(crate::model::ClientCert {
        cert,
        key: Secret::new(key),
    })
}

/// The `state` column of a connection: its state plus the client certificate and the
/// ignore masks.
pub(super) fn state_column(c: &Connection) -> String {
    if c.client_cert.is_none() && c.ignore.is_empty() && c.sts.is_none() && c.name.is_none() {
        return c.state.to_string();
    }
    let mut state = match &c.state {
        serde_json::Value::Object(o) => o.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(cert) = &c.client_cert {
        state.insert(
            "client_cert".into(),
            serde_json::json!({"cert": cert.cert, "key": cert.key.expose()}),
        );
    }
    if !c.ignore.is_empty() {
        state.insert("ignore".into(), serde_json::json!(c.ignore));
    }
    if let Some(sts) = &c.sts {
        state.insert("sts".into(), serde_json::json!(sts));
    }
    if let Some(name) = &c.name {
        state.insert("name".into(), serde_json::json!(name));
    }
    serde_json::Value::Object(state).to_string()
}

fn conversation_from_row(r: &Row<'_>) -> Result<Conversation> {
    Ok(Conversation {
        user_id: UserId(r.get(0)?),
        connection_id: r.get(1)?,
        id: r.get(2)?,
        name: r.get(3)?,
        kind: ConversationKind::from_code(r.get(4)?).unwrap_or(ConversationKind::Channel),
        key: r.get::<usize, Option<String>>(5)?.map(Secret::new),
        topic: r.get(6)?,
        wanted: r.get(7)?,
        frozen: r.get(8)?,
        last_read: MessageId(r.get(9)?),
        unread: r.get::<usize, i64>(10)?.max(0) as u64,
        highlights: r.get::<usize, i64>(11)?.max(0) as u64,
        // A choice that no longer reads is the default, not a lost conversation.
        notify: serde_json::from_str(&r.get::<usize, String>(12)?).unwrap_or_default(),
    })
}

pub(crate) fn conversation_by_cid(conn: &Conn, cid: i64) -> Result<Conversation> {
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE cid = ?1");
    conn.prepare_cached(&sql)?
        .query_row([cid], conversation_from_row)
}

/// Inserts a conversation (read state from `c` ignored); returns its key.
pub(crate) fn insert_conversation(conn: &Conn, c: &Conversation) -> Result<i64> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM connections WHERE user_id = ?1 AND id = ?2)")?
        .query_row(params![c.user_id.0, c.connection_id], |r| r.get(0))?;
    if !exists {
        return Err(Error::NotFound("connection"));
    }
    conn.query_row(
        "INSERT INTO conversations (user_id, connection_id, id, name, kind, key, topic, wanted, frozen) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING cid",
        params![
        c.user_id.0,
        c.connection_id,
        c.id,
        c.name,
        c.kind.code(),
        c.key.as_ref().map(Secret::expose),
        c.topic,
        c.wanted,
        c.frozen
        ],
        |r| r.get(0),
    )
}

impl Store {
    /// Creates or replaces a connection's settings. [`Error::NotFound`] if the user does
    /// not exist.
    pub async fn save_connection(&self, c: Connection) -> Result<()> {
        self.write(0, move |ctx| {
            let commands: Vec<&str> = c.on_connect_commands.iter().map(Secret::expose).collect();
            let commands = serde_json::to_string(&commands).map_err(|e| Error::Invalid(e.to_string()))?;
            let user: bool = ctx.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)",
                [c.user_id.0],
                |r| r.get(0),
            )?;
            if !user {
                return Err(Error::NotFound("user"));
            }
            ctx.conn.execute(
                &format!(
                    "INSERT INTO connections ({CONNECTION_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (user_id, id) DO UPDATE SET url = excluded.url, nick = excluded.nick, \
                     on_connect_commands = excluded.on_connect_commands, \
                     wanted_state = excluded.wanted_state, state = excluded.state, \
                     retention_days = excluded.retention_days"
                ),
                params![
                    c.user_id.0,
                    c.id,
                    c.url.expose(),
                    c.nick,
                    commands,
                    c.wanted_state.as_str(),
                    state_column(&c),
                    i64::from(c.retention_days)
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// One connection of the user.
    pub async fn connection(&self, user_id: UserId, id: &str) -> Result<Option<Connection>> {
        let id = id.to_owned();
        self.read(move |conn| {
            let sql =
                format!("SELECT {CONNECTION_COLS} FROM connections WHERE user_id = ?1 AND id = ?2");
            conn.prepare_cached(&sql)?
                .query_row(params![user_id.0, id], connection_from_row)
                .optional()
        })
        .await
    }

    /// All connections of the user, by id.
    pub async fn connections(&self, user_id: UserId) -> Result<Vec<Connection>> {
        self.read(move |conn| {
            let sql =
                format!("SELECT {CONNECTION_COLS} FROM connections WHERE user_id = ?1 ORDER BY id");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([user_id.0], connection_from_row)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Deletes a connection with its conversations and messages; `false` if there was none.
    pub async fn delete_connection(&self, user_id: UserId, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.write(0, move |ctx| {
            index::unindex_where(
                ctx,
                "conv IN (SELECT cid FROM conversations WHERE user_id = ?1 AND connection_id = ?2)",
                &[&user_id.0, &id],
            )?;
            ctx.cids.clear();
            let n = ctx.conn.execute(
                "DELETE FROM connections WHERE user_id = ?1 AND id = ?2",
                params![user_id.0, id],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Creates a conversation or updates what the user set up (name, kind, key, topic,
    /// wanted, frozen); read state is kept. [`Error::NotFound`] if the connection is missing.
    pub async fn save_conversation(&self, c: Conversation) -> Result<Conversation> {
        self.write(0, move |ctx| {
            let cid = match cid(&ctx.conn, c.user_id, &c.connection_id, &c.id)? {
                None => insert_conversation(&ctx.conn, &c)?,
                Some(cid) => {
                    ctx.conn
                        .prepare_cached(
                            "UPDATE conversations SET name = ?2, kind = ?3, key = ?4, topic = ?5, \
                             wanted = ?6, frozen = ?7 WHERE cid = ?1",
                        )?
                        .execute(params![
                            cid,
                            c.name,
                            c.kind.code(),
                            c.key.as_ref().map(Secret::expose),
                            c.topic,
                            c.wanted,
                            c.frozen
                        ])?;
                    cid
                }
            };
            conversation_by_cid(&ctx.conn, cid)
        })
        .await
    }

    /// One conversation of the user, with read state.
    pub async fn conversation(
        &self,
        user_id: UserId,
        connection_id: &str,
        id: &str,
    ) -> Result<Option<Conversation>> {
        let (conn_id, id) = (connection_id.to_owned(), id.to_owned());
        self.read(move |conn| match cid(conn, user_id, &conn_id, &id)? {
            Some(cid) => conversation_by_cid(conn, cid).map(Some),
            None => Ok(None),
        })
        .await
    }

    /// All conversations of the user, by connection and id.
    pub async fn conversations(&self, user_id: UserId) -> Result<Vec<Conversation>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {CONVERSATION_COLS} FROM conversations WHERE user_id = ?1 \
                 ORDER BY connection_id, id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([user_id.0], conversation_from_row)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Deletes a conversation and its messages; `false` if there was none.
    pub async fn delete_conversation(
        &self,
        user_id: UserId,
        connection_id: &str,
        id: &str,
    ) -> Result<bool> {
        let (conn_id, id) = (connection_id.to_owned(), id.to_owned());
        self.write(0, move |ctx| {
            let Some(cid) = cid(&ctx.conn, user_id, &conn_id, &id)? else {
                return Ok(false);
            };
            index::unindex_where(ctx, "conv = ?1", &[&cid])?;
            ctx.cids.clear();
            ctx.conn
                .execute("DELETE FROM conversations WHERE cid = ?1", [cid])?;
            Ok(true)
        })
        .await
    }
}
