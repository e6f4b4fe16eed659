//! A user's account record and what it keeps for them: preferences the same on every
//! device ([`Prefs`]), auto-away, API token scopes and how they signed in. Plain data.

use super::{Secret, UserId};
use serde::{Deserialize, Serialize};

/// A user account. The password hash is an argon2id PHC string made by the web layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: Secret,
    pub admin: bool,
    pub highlight_keywords: Vec<String>,
    /// Free-form per-user settings (JSON object).
    pub settings: serde_json::Value,
    /// Unix time in milliseconds.
    pub created_at: i64,
}

impl User {
    /// The user's auto-away choice (kept in `settings`; off when absent or unreadable).
    pub fn auto_away(&self) -> AutoAway {
        self.settings
            .get("auto_away")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The user's quiet hours (off when absent or unreadable).
    pub fn quiet_hours(&self) -> crate::notify::QuietHours {
        self.settings
            .get("quiet_hours")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// `settings` with `quiet_hours` replaced.
    pub fn settings_with_quiet_hours(&self, q: &crate::notify::QuietHours) -> serde_json::Value {
        self.settings_with("quiet_hours", serde_json::to_value(q).unwrap_or_default())
    }

    /// `settings` with `auto_away` replaced.
    pub fn settings_with_auto_away(&self, a: &AutoAway) -> serde_json::Value {
        self.settings_with("auto_away", serde_json::to_value(a).unwrap_or_default())
    }

    /// The user's display and input preferences (defaults when absent or unreadable;
    /// fields missing from an older record take their defaults).
    pub fn prefs(&self) -> Prefs {
        self.settings
            .get("prefs")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// `settings` with `prefs` replaced.
    pub fn settings_with_prefs(&self, p: &Prefs) -> serde_json::Value {
        self.settings_with("prefs", serde_json::to_value(p).unwrap_or_default())
    }

    fn settings_with(&self, key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut s = match &self.settings {
            serde_json::Value::Object(o) => o.clone(),
            _ => serde_json::Map::new(),
        };
        s.insert(key.into(), value);
        serde_json::Value::Object(s)
    }
}

/// How join, part, quit and nick lines show in conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Membership {
    /// Runs of them folded into one summary line.
    #[default]
    Condensed,
    Shown,
    Hidden,
}

/// How times of day are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Clock {
    /// As the browser's language does.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// 13:05
    #[serde(rename = "24h")]
    H24,
    /// 1:05 PM
    #[serde(rename = "12h")]
    H12,
}

/// Space between lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Density {
    #[default]
    Comfortable,
    Compact,
}

/// Which link previews are shown under messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum PreviewMode {
    /// Pages and images.
    #[default]
    On,
    Images,
    Off,
}

/// A user's display and input preferences, the same on all their devices (stored with
/// the account, pushed to every open browser when changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct Prefs {
    pub membership: Membership,
    pub clock: Clock,
    /// Times with seconds.
    pub clock_seconds: bool,
    /// Nicks in their own colour (else all in the text colour).
    pub nick_colors: bool,
    pub density: Density,
    /// Base font size in CSS pixels, 12 to 22.
    pub font_size: u8,
    /// Tell others when the user is typing.
    pub send_typing: bool,
    /// Offer "Send as a paste?" above this many lines (0: never), at most 1000.
    pub paste_lines: u16,
    pub previews: PreviewMode,
    /// Conversations (`connection_id/conversation_id`) whose previews are hidden whatever
    /// `previews` says; at most 500.
    pub previews_hidden: Vec<String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            membership: Membership::Condensed,
            clock: Clock::Auto,
            clock_seconds: false,
            nick_colors: true,
            density: Density::Comfortable,
            font_size: 15,
            send_typing: true,
            paste_lines: 3,
            previews: PreviewMode::On,
            previews_hidden: Vec::new(),
        }
    }
}

impl Prefs {
    /// Checks what a user asked for against the limits above.
    pub fn check(&self) -> Result<(), &'static str> {
        if !(12..=22).contains(&self.font_size) {
            return Err("The font size is 12 to 22 pixels.");
        }
        if self.paste_lines > 1000 {
            return Err("Paste lines is 0 to 1000.");
        }
        if self.previews_hidden.len() > 500 || self.previews_hidden.iter().any(|c| c.len() > 300) {
            return Err("Too many conversations with hidden previews.");
        }
        Ok(())
    }
}

/// Auto-away: when none of the user's browsers has been active for `minutes`, the user is
/// marked away with `message` on every network (and back when one is active again).
/// An empty message turns it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AutoAway {
    pub message: String,
    pub minutes: u32,
}

impl Default for AutoAway {
    fn default() -> Self {
        AutoAway {
            message: String::new(),
            minutes: 10,
        }
    }
}

impl AutoAway {
    /// Checks what a user asked for: a message of one line (at most 300 characters) and
    /// 1 to 1440 minutes.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.message.chars().count() > 300 || self.message.contains(['\r', '\n', '\0']) {
            return Err("The away message must be one line of at most 300 characters.");
        }
        if !(1..=1440).contains(&self.minutes) {
            return Err("Auto-away waits 1 to 1440 minutes.");
        }
        Ok(())
    }
}

/// What an API token may do: `read` (GET requests, the event stream) or `send` (also
/// send messages and commands). No token may manage tokens, passwords or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Send,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Send => "send",
        }
    }

    /// The scope stored as `s`, if any.
    pub fn parse(s: &str) -> Option<TokenScope> {
        match s {
            "read" => Some(TokenScope::Read),
            "send" => Some(TokenScope::Send),
            _ => None,
        }
    }
}

/// How a user signed in (shown to admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SignInMethod {
    /// The local password.
    Password,
    /// An OpenID Connect provider.
    Oidc,
    /// The LDAP directory.
    Ldap,
    /// A trusted reverse proxy's header.
    Proxy,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Oidc => "oidc",
            SignInMethod::Ldap => "ldap",
            SignInMethod::Proxy => "proxy",
        }
    }

    /// The method stored as `s`, if any.
    pub fn parse(s: &str) -> Option<SignInMethod> {
        [
            SignInMethod::Password,
            SignInMethod::Oidc,
            SignInMethod::Ldap,
            SignInMethod::Proxy,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}
