//! Web Push as the settings page and the service worker see it: the server's VAPID key,
//! the user's devices (`/api/push`), a browser's subscription, and the payload a push
//! carries to the service worker (encrypted end to end).

use serde::{Deserialize, Serialize};

/// A device that gets pushes, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PushDevice {
    pub id: i64,
    /// Browser and system, e.g. "Firefox on Android".
    pub name: String,
    /// The push service URL (the browser compares it with its own to say "this device").
    pub endpoint: String,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339, `null` before the first push.
    pub last_used: Option<String>,
}

/// `GET /api/push`: the key to subscribe with and the user's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PushSettings {
    /// The VAPID public key, base64url (`applicationServerKey`).
    pub public_key: String,
    pub devices: Vec<PushDevice>,
}

/// The keys of a browser's `PushSubscription` (base64url, as `toJSON()` gives them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// `POST /api/push/devices`: `PushSubscription.toJSON()` plus a name for the device.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PushSubscribe {
    pub endpoint: String,
    pub keys: PushKeys,
    /// 1–64 characters; empty: "This device".
    #[serde(default)]
    pub name: String,
    /// Sent by browsers, not used.
    #[serde(default, rename = "expirationTime")]
    #[cfg_attr(test, ts(optional))]
    pub expiration_time: Option<f64>,
}

/// What a push is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A highlight in a channel.
    Highlight,
    /// A private message.
    Private,
    /// Another message, in a conversation whose level is "all".
    Message,
    /// Someone is calling.
    Call,
}

/// The decrypted content of a push: what the service worker shows and where a click goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Push {
    pub kind: PushKind,
    /// "alice in #rust", "alice", "alice is calling in #rust".
    pub title: String,
    /// The message (shortened), empty for a call.
    pub body: String,
    pub connection_id: String,
    pub conversation_id: String,
    /// The message to open at (0 for a call).
    pub message_id: i64,
    /// The app path to open, relative to the base path (`/chat/libera/%23rust?around=…`).
    pub path: String,
    /// Notifications with the same tag replace each other (one per conversation).
    pub tag: String,
    /// Whether the notification may make a sound.
    pub sound: bool,
}
