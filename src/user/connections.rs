//! The requests that change a user's connections: add (within the limits and the forced
//! server), edit (reconnecting only when the server changed), a client certificate for
//! SASL EXTERNAL, delete.

use tracing::info;

use super::state::{Actor, Conv};
use super::{view, ConnectionChanges, Error};
use crate::irc;
use crate::model::{Connection, Conversation, WantedState};
use crate::wire::{self, Event, State};

/// A name the user gives a connection: trimmed, one line of at most 64 characters;
/// empty means none.
fn connection_name(name: &str) -> Result<Option<String>, Error> {
    let name = name.trim();
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "A connection name is one line of at most 64 characters.".into(),
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

/// On-connect commands as stored: blank lines dropped.
fn commands(lines: Vec<String>) -> Vec<crate::model::Secret> {
    lines
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .map(Into::into)
        .collect()
}

impl Actor {
    pub(super) async fn add_connection(
        &mut self,
        changes: ConnectionChanges,
    ) -> Result<wire::Connection, Error> {
        let url = changes
            .url
            .or_else(|| changes.server.as_ref().map(irc::url::Fields::url))
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| Error::Invalid("Missing URL.".into()))?;
        let default_nick = default_nick(&self.user.email);
        let config =
            irc::Config::parse(&url, &default_nick).map_err(|e| Error::Invalid(e.to_string()))?;
        self.check_count()?;
        let settings = self.settings().await?;
        self.check_url(&config, &settings)?;
        let base = irc::url::connection_id(&config.host);
        let mut id = base.clone();
        let mut n = 2;
        while self.conns.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let model = Connection {
            user_id: self.user.id,
            id: id.clone(),
            url: url.trim().into(),
            nick: config.nick.clone(),
            on_connect_commands: commands(changes.on_connect_commands.unwrap_or_default()),
            wanted_state: changes.wanted_state.unwrap_or(WantedState::Connected),
            retention_days: changes.retention_days.unwrap_or(0),
            client_cert: None,
            ignore: super::ignore::normalize_all(changes.ignore.as_deref().unwrap_or_default())
                .map_err(Error::Invalid)?,
            sts: None,
            name: match &changes.name {
                Some(n) => connection_name(n)?,
                None => None,
            },
            state: Connection::empty_state(),
        };
        self.store
            .save_connection(model.clone())
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        // The server conversation exists from the start, and channels in the URL are wanted.
        let mut convs = vec![Conversation::new(self.user.id, &id, "", &config.host)];
        for (name, key) in &config.channels {
            let mut c = Conversation::new(self.user.id, &id, &name.to_lowercase(), name);
            c.key = (!key.is_empty()).then(|| key.as_str().into());
            convs.push(c);
        }
        self.open_connection(model, &settings)?;
        for c in convs {
            let saved = self
                .store
                .save_conversation(c)
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.convs.insert(
                    saved.id.clone(),
                    Conv {
                        model: saved,
                        participants: Default::default(),
                        joined: false,
                    },
                );
            }
        }
        let conn = self.conns.get(&id).ok_or(Error::NoConnection)?;
        let connection = view::connection(conn);
        let mut events = vec![Event::State(State::ConnectionAdded {
            connection_id: id.clone(),
            connection: Box::new(connection.clone()),
        })];
        for conv in conn.convs.values() {
            events.push(view::conversation_event(
                &id,
                &conn.people,
                &conn.isupport,
                conv,
            ));
        }
        self.publish(events);
        info!(connection = %id, "connection added");
        Ok(connection)
    }

    pub(super) async fn update_connection(
        &mut self,
        id: &str,
        changes: ConnectionChanges,
    ) -> Result<wire::Connection, Error> {
        let mut model = self.conns.get(id).ok_or(Error::NoConnection)?.model.clone();
        let mut new_config = None;
        // The API shows the password as ********: sent back unchanged, it means "keep it".
        let url = changes
            .url
            .map(|u| irc::url::unredact(&u, model.url.expose()))
            .or_else(|| {
                let fields = changes.server.as_ref()?;
                Some(fields.merge_into(model.url.expose()))
            });
        // A URL that says the same as the current one (fields sent back unchanged, or the
        // same URL written differently) changes nothing and does not reconnect.
        let current = irc::Config::parse(model.url.expose(), &model.nick).ok();
        let url = url.filter(|u| {
            u.trim() != model.url.expose()
                && current
                    .as_ref()
                    .is_none_or(|c| irc::Config::parse(u, &model.nick).ok().as_ref() != Some(c))
        });
        if let Some(url) = url {
            let config =
                irc::Config::parse(&url, &model.nick).map_err(|e| Error::Invalid(e.to_string()))?;
            let settings = self.settings().await?;
            self.check_url(&config, &settings)?;
            let access = self.access(&config, &settings);
            model.nick = config.nick.clone();
            model.url = url.trim().into();
            new_config = Some((config, access));
        }
        let conn = self.conns.get_mut(id).ok_or(Error::NoConnection)?;
        if let Some(c) = changes.on_connect_commands {
            // Shown masked: a command sent back masked keeps its stored secret.
            model.on_connect_commands =
                commands(super::redact::restore(c, &model.on_connect_commands));
        }
        if let Some(w) = changes.wanted_state {
            model.wanted_state = w;
        }
        if let Some(days) = changes.retention_days {
            model.retention_days = days;
        }
        if let Some(list) = &changes.ignore {
            model.ignore = super::ignore::normalize_all(list).map_err(Error::Invalid)?;
        }
        if let Some(name) = &changes.name {
            model.name = connection_name(name)?;
        }
        self.store
            .save_connection(model.clone())
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        let was = conn.model.wanted_state;
        conn.model = model;
        if let Some((mut config, access)) = new_config {
            config.client_cert = conn.model.client_cert.clone();
            if let Some(sts) = &conn.model.sts {
                sts.apply(&mut config, crate::time::now_ms());
            }
            conn.config = config.clone();
            conn.handle.request(irc::Request::Access(access)).await;
            conn.handle
                .request(irc::Request::Configure(Box::new(config)))
                .await;
            if conn.model.wanted_state == WantedState::Connected {
                conn.handle
                    .request(irc::Request::Connect { restart: true })
                    .await;
            }
        } else if was != conn.model.wanted_state {
            match conn.model.wanted_state {
                WantedState::Connected => {
                    conn.handle
                        .request(irc::Request::Connect { restart: false })
                        .await
                }
                WantedState::Disconnected => {
                    conn.handle
                        .request(irc::Request::Disconnect("Bye".into()))
                        .await
                }
            };
        }
        let connection = view::connection(conn);
        self.publish(vec![Event::State(State::ConnectionUpdate {
            connection_id: id.to_string(),
            connection: Box::new(connection.clone()),
        })]);
        Ok(connection)
    }

    /// Makes (or with `renew`, remakes) the connection's client certificate for SASL
    /// EXTERNAL; answers its fingerprint. It is used from the next connect on.
    pub(super) async fn client_certificate(
        &mut self,
        id: &str,
        renew: bool,
    ) -> Result<wire::Connection, Error> {
        let conn = self.conns.get_mut(id).ok_or(Error::NoConnection)?;
        if renew || conn.model.client_cert.is_none() {
            let cert = irc::url::generate_client_cert(&conn.nick).map_err(Error::Invalid)?;
            let mut model = conn.model.clone();
            model.client_cert = Some(cert);
            self.store
                .save_connection(model.clone())
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
            conn.model = model;
            conn.config.client_cert = conn.model.client_cert.clone();
            conn.handle
                .request(irc::Request::Configure(Box::new(conn.config.clone())))
                .await;
        }
        Ok(view::connection(conn))
    }

    pub(super) async fn delete_connection(&mut self, id: &str) -> Result<(), Error> {
        let conn = self.conns.remove(id).ok_or(Error::NoConnection)?;
        conn.handle
            .request(irc::Request::Disconnect("Bye".into()))
            .await;
        drop(conn);
        // Its conversations go with it: their calls get no closing line.
        self.calls.forget(id);
        self.calls.log.end_all(Some(id), 0);
        self.store
            .delete_connection(self.user.id, id)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        self.publish(vec![Event::State(State::ConnectionRemoved {
            connection_id: id.to_string(),
        })]);
        Ok(())
    }
}

/// A nick from an e-mail address: its local part, cleaned (`jane.doe@x` → `jane_doe`).
pub fn default_nick(email: &str) -> String {
    let local = email.split('@').next().unwrap_or("");
    let mut nick: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_[]\\^{}|`".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(15)
        .collect();
    if nick.is_empty() || nick.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        nick.insert_str(0, "convos_");
    }
    nick
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_nicks() {
        assert_eq!(super::default_nick("jane.doe@example.com"), "jane_doe");
        assert_eq!(super::default_nick("42@x"), "convos_42");
        assert_eq!(super::default_nick(""), "convos_");
    }
}
