//! What a user may connect to: the admin's forced server, admin-only URL parameters, the
//! number of connections, and which outbound [`irc::Access`] a connection runs with.
//!
//! One check serves adding and editing a connection, and it reads the settings from the
//! one place the admin saves them ([`Settings`]). It does not touch connections itself.

use super::state::Actor;
use super::Error;
use crate::account::settings::Settings;
use crate::irc;

/// Connections a user may have unless the operator says otherwise
/// (`CONVOS_MAX_CONNECTIONS_PER_USER`, whose default says the same).
pub const DEFAULT_MAX_CONNECTIONS: usize = 20;

/// Shown when a non-admin asks for another server while the admin forces the default one.
pub const FORCED: &str = "You can only connect to the default server.";

impl Actor {
    /// The admin's settings; a store failure refuses the change rather than skipping checks.
    /// (It borrows nothing across the wait: the actor is not `Sync`.)
    pub(super) fn settings(
        &self,
    ) -> impl std::future::Future<Output = Result<Settings, Error>> + Send + 'static {
        let store = self.store.clone();
        async move {
            Settings::load(&store, false)
                .await
                .map_err(|e| Error::Store(e.to_string()))
        }
    }

    /// Refuses a connection URL this user may not save: `local_address=` (it picks the
    /// daemon's outgoing interface) is for admins, and with `forced_connection` only the
    /// default server's host, port and TLS are allowed.
    pub(super) fn check_url(&self, config: &irc::Config, settings: &Settings) -> Result<(), Error> {
        if self.user.admin {
            return Ok(());
        }
        if config.local_address.is_some() {
            return Err(Error::Forbidden(
                "Only an admin can set local_address.".into(),
            ));
        }
        if settings.forced_connection && !default_server(config, settings) {
            return Err(Error::Forbidden(FORCED.into()));
        }
        Ok(())
    }

    /// Refuses one more connection past the limit.
    pub(super) fn check_count(&self) -> Result<(), Error> {
        if self.conns.len() >= self.max_connections {
            return Err(Error::Invalid(format!(
                "You can have at most {} connections.",
                self.max_connections
            )));
        }
        Ok(())
    }

    /// What a connection may reach: anything for an admin and for the default server the
    /// admin chose; the daemon's outbound policy (public internet) for everyone else.
    pub(super) fn access(&self, config: &irc::Config, settings: &Settings) -> irc::Access {
        if self.user.admin || default_server(config, settings) {
            irc::Access::trusted()
        } else {
            self.irc_opts.access.clone()
        }
    }

    /// Gives every connection the access that fits the user now (after a role change);
    /// it applies from the next connect.
    pub(super) async fn refresh_access(&mut self) {
        let Ok(settings) = self.settings().await else {
            return;
        };
        let updates: Vec<_> = self
            .conns
            .values()
            .map(|c| (c.handle.clone(), self.access(&c.config, &settings)))
            .collect();
        for (handle, access) in updates {
            handle.request(irc::Request::Access(access)).await;
        }
    }
}

/// Whether `config` names the default connection's server: same host (case and a final
/// dot ignored), port and TLS. A default that does not parse matches nothing (fail closed).
fn default_server(config: &irc::Config, settings: &Settings) -> bool {
    match irc::Config::parse(&settings.default_connection, "convos") {
        Ok(default) => default.same_server(config),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(default: &str) -> Settings {
        Settings {
            default_connection: default.into(),
            forced_connection: true,
            ..Settings::load_defaults(false)
        }
    }

    #[test]
    fn default_server_compares_host_port_and_tls() {
        let s = settings("irc://irc.example.com:6697/%23convos");
        for (url, same) in [
            ("irc://irc.example.com:6697", true),
            ("ircs://IRC.Example.com.:6697/%23other?nick=x", true),
            ("irc://irc.example.com", true),
            ("irc://irc.example.com:6697?tls=0", false),
            ("irc://irc.example.com:6667", false),
            ("irc://evil.example.com:6697", false),
            ("irc://127.0.0.1:6697", false),
        ] {
            let c = irc::Config::parse(url, "n").expect("valid");
            assert_eq!(default_server(&c, &s), same, "{url}");
        }
        let broken = settings("irc://");
        let c = irc::Config::parse("irc://irc.example.com", "n").expect("valid");
        assert!(!default_server(&c, &broken), "fails closed");
    }
}
