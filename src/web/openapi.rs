//! The OpenAPI 3.1 document served at `GET /api`. It is built from [`OPERATIONS`], one
//! entry per route of the router; a unit test reads the router's source files and fails
//! when a route is missing here, and an integration test calls every operation listed.

use serde_json::{json, Map, Value};

/// One operation: method, path (axum syntax `{param}`), summary, whether it needs a
/// session, request body schema name and response schema name.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub auth: bool,
    pub body: Option<&'static str>,
    pub response: &'static str,
}

macro_rules! op {
    ($m:literal $p:literal $auth:literal $body:expr, $resp:literal, $s:literal) => {
        Operation {
            method: $m,
            path: $p,
            summary: $s,
            auth: $auth,
            body: $body,
            response: $resp,
        }
    };
}

/// Every HTTP operation of the product, under `/api` unless the path says otherwise.
pub const OPERATIONS: &[Operation] = &[
    op!("post" "/api/user/register" false Some("Register"), "User", "Register; the first user becomes admin, later ones need open registration or an invite token"),
    op!("post" "/api/user/login" false Some("Login"), "User", "Log in; sets the HttpOnly session cookie"),
    op!("post" "/api/user/logout" true None, "LoggedOut", "Log out and forget the session; end_session_url: sign out at the OpenID provider too"),
    op!("get" "/api/oidc/{name}/start" false None, "Redirect", "OpenID Connect: 303 to the provider (PKCE, state bound to a cookie); ?invite=TOKEN from an invite link"),
    op!("get" "/api/oidc/{name}/callback" false None, "Redirect", "OpenID Connect: the provider's answer; 303 into the app signed in, or to /login?oidc_error=CODE"),
    op!("get" "/api/user/logout" false None, "Error", "Refused (405): log out with POST"),
    op!("get" "/api/user" true None, "User", "The logged-in user; ?connections=true&conversations=true adds them"),
    op!("post" "/api/user" true Some("UserUpdate"), "User", "Change highlight keywords or password (with the old one)"),
    op!("delete" "/api/user" true Some("AccountDelete"), "Empty", "Delete the account and all its data (with the current password)"),
    op!("get" "/api/users" true None, "Users", "Admin: all users, with how each signs in"),
    op!("post" "/api/user/{email}" true Some("UserAdmin"), "User", "Admin: change a user's roles"),
    op!("delete" "/api/user/{email}" true None, "Empty", "Admin: delete a user"),
    op!("post" "/api/user/{email}/invite" true None, "Invite", "Admin: a one-use invite (or password reset) link valid 24 h"),
    op!("get" "/api/settings" true None, "AdminSettings", "Admin: server settings, and an old Convos home waiting to be imported"),
    op!("post" "/api/settings" true Some("Settings"), "AdminSettings", "Admin: change server settings"),
    op!("get" "/api/settings/public" false None, "PublicSettings", "What the login and register pages need"),
    op!("get" "/api/connections" true None, "Connections", "The user's IRC connections"),
    op!("post" "/api/connections" true Some("ConnectionCreate"), "Connection", "Add a connection from an irc:// URL"),
    op!("post" "/api/connection/{cid}" true Some("ConnectionUpdate"), "Connection", "Change a connection (URL, on-connect commands, wanted state)"),
    op!("delete" "/api/connection/{cid}" true None, "Empty", "Delete a connection and its history"),
    op!("get" "/api/conversations" true None, "Conversations", "The user's conversations"),
    op!("get" "/api/connection/{cid}/messages" true None, "Messages", "History of the server conversation (before/after/around/limit)"),
    op!("get" "/api/connection/{cid}/conversation/{conversation}/messages" true None, "Messages", "History page (before/after/around a message id or RFC 3339 time, limit ≤ 200)"),
    op!("post" "/api/connection/{cid}/conversation/{conversation}/read" true Some("Read"), "Conversation", "Move the last-read marker (default: newest)"),
    op!("get" "/api/connection/{cid}/conversation/{conversation}/participants" true None, "Participants", "A channel's participants with their mode prefixes"),
    op!("post" "/api/connection/{cid}/read" true Some("Read"), "Conversation", "Move the server conversation's last-read marker"),
    op!("post" "/api/connection/{cid}/certificate" true Some("Certificate"), "Connection", "Make (or renew) the connection's TLS client certificate for SASL EXTERNAL; the answer shows its fingerprint"),
    op!("get" "/api/irc-url" true None, "Server", "An irc:// URL (?url=) read as the server reads it: host, port, tls, nick, channels, account, sasl"),
    op!("get" "/api/commands" true None, "Commands", "The slash commands the server understands, with usage (for completion)"),
    op!("get" "/api/connection/{cid}/channels" true None, "Channels", "The network's channel list from the last /list (q=, sort=users|name, limit ≤ 500); never stored"),
    op!("get" "/api/search" true None, "Messages", "Full-text search: match (from:nick, in:#chan), connection_id, conversation_id, after, before, limit"),
    op!("get" "/api/notifications" true None, "Messages", "Highlights, newest first (before=ID, limit)"),
    op!("post" "/api/notifications/read" true None, "Empty", "Mark all highlights read"),
    op!("post" "/api/files" true None, "File", "Upload a file: the request body is the file, ?name= its name; at most CONVOS_MAX_UPLOAD_SIZE, within the user's CONVOS_UPLOAD_QUOTA (413 otherwise)"),
    op!("get" "/api/files" true None, "Files", "The user's uploaded files, newest first, with bytes used, quota and the largest file allowed"),
    op!("delete" "/api/file/{id}" true None, "Empty", "Delete one of the user's files (404 for anyone else's)"),
    op!("get" "/file/{id}" false None, "Empty", "An uploaded file, to anyone with the link: images, video, audio and plain text inline, anything else as an attachment; always CSP sandbox and nosniff"),
    op!("get" "/file/{id}/thumbnail" false None, "Empty", "An uploaded image's thumbnail (at most 400×400, upright, no metadata); 204 for a file that is not an image"),
    op!("get" "/paste/{id}" false None, "Empty", "An uploaded plain text file (a paste) as an HTML page with line numbers, to anyone with the link; CSP sandbox without scripts"),
    op!("get" "/api/preview" true None, "LinkPreview", "What a link is (?url=): title, description, site name as plain text, and a proxied image; fetched by the server once per URL for all users, through the outbound policy; kind none when there is nothing to show"),
    op!("get" "/api/preview/image" true None, "Empty", "The image proxy: an image link signed by /api/preview (?url=&sig=), fetched by the server; PNG, JPEG, GIF or WebP by its bytes, never SVG; 403 for a bad signature"),
    op!("get" "/api/preview/video" true None, "Empty", "The video proxy: a video link signed by /api/preview (?url=&sig=), streamed by the server with a Range header passed on (200 or 206); MP4, WebM or Ogg, at most 64 MiB per request; 403 for a bad signature, 503 when 16 play already"),
    op!("get" "/api/user/tokens" true None, "ApiTokens", "The user's API tokens (browser session only; values are never shown again)"),
    op!("post" "/api/user/tokens" true Some("ApiTokenRequest"), "ApiTokenCreated", "Create an API token {name, scope: read|send}; the answer's secret is shown once (browser session only)"),
    op!("delete" "/api/user/token/{id}" true None, "Empty", "Revoke an API token; its event streams close (browser session only)"),
    op!("get" "/api/user/sessions" true None, "Sessions", "The user's signed-in devices, most recently used first (browser session only)"),
    op!("delete" "/api/user/sessions/{id}" true None, "Empty", "End one of the user's sessions: its cookie stops working, its event streams close (browser session only)"),
    op!("post" "/api/connection/{cid}/conversation/{conversation}/send" true Some("SendRequest"), "Sent", "Send a message or command as typed in the input box (a session, or a send-scoped token)"),
    op!("post" "/api/connection/{cid}/conversation/{conversation}/notify" true Some("Notify"), "Conversation", "Set a conversation's notification level (all, mentions, none), mute until (unix ms, null: not muted) and sound; every browser gets the conversation event"),
    op!("get" "/api/push" true None, "PushSettings", "Web Push: the VAPID public key to subscribe with and the user's devices (browser session only)"),
    op!("post" "/api/push/devices" true Some("PushSubscribe"), "PushDevice", "Add this browser's push subscription (PushSubscription.toJSON() and a name); the same endpoint is renewed (browser session only)"),
    op!("delete" "/api/push/device/{id}" true None, "Empty", "Remove a device: it gets no more pushes (browser session only)"),
    op!("get" "/events" true None, "Empty", "WebSocket upgrade: the event stream (?since=SEQ to resume); see the description"),
    op!("get" "/healthz" false None, "Empty", "Liveness"),
    op!("get" "/readyz" false None, "Ready", "Readiness: store writable, listeners bound, users started, not stopping (503 otherwise)"),
    op!("get" "/metrics" true None, "Empty", "Prometheus/OpenMetrics text (docs/metrics.md): Authorization: Bearer CONVOS_METRICS_TOKEN, or an admin's session"),
    op!("get" "/api" false None, "Empty", "This document"),
    op!("get" "/manifest.webmanifest" false None, "Empty", "The web app manifest (application/manifest+json): the organisation's name, icons incl. maskable, standalone display, start URL and scope at the base path"),
    op!("get" "/sw.js" false None, "Empty", "The service worker: caches the app shell for offline starts, offers a reload when the bundle changes, shows pushes"),
];

fn schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let string = json!({"type": "string"});
    let int = json!({"type": "integer"});
    let boolean = json!({"type": "boolean"});
    let retention = json!({"type": "integer", "minimum": 0, "maximum": 36500,
        "description": "Delete messages older than this many days; 0 keeps everything."});
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let list = |key: &str, name: &str| json!({"type": "object", "properties": {key: {"type": "array", "items": r(name)}}});
    let mut all = json!({
        "Error": s(json!({"errors": {"type": "array", "items": s(json!({"message": string, "path": string}), &["message", "path"])}}), &["errors"]),
        "Empty": {"type": "object"},
        "Register": s(json!({"email": string, "password": {"type": "string", "minLength": 10}, "token": string}), &["email", "password"]),
        "Login": s(json!({"email": string, "password": string}), &["email", "password"]),
        "User": s(json!({"email": string, "uid": int, "roles": {"type": "array", "items": string}, "registered": string,
            "highlight_keywords": {"type": "array", "items": string}, "auto_away": r("AutoAway"), "prefs": r("Prefs"), "quiet_hours": r("QuietHours"), "unread": int, "default_connection": string,
            "forced_connection": boolean, "video_service": string,
            "rtc": s(json!({"ice_servers": {"type": "array", "items": {"type": "object"}}, "ice_transport_policy": string}), &["ice_servers"]),
            "connections": {"type": "array", "items": r("Connection")}, "conversations": {"type": "array", "items": r("Conversation")}, "seq": int}), &["email"]),
        "Users": list("users", "AdminUser"),
        "AccountDelete": s(json!({"password": string}), &["password"]),
        "UserUpdate": s(json!({"highlight_keywords": {"type": "array", "items": string}, "auto_away": r("AutoAway"), "prefs": r("Prefs"),
            "quiet_hours": r("QuietHours"), "password": string, "old_password": string}), &[]),
        "AutoAway": s(json!({"message": string, "minutes": int}), &["message", "minutes"]),
        "UserAdmin": s(json!({"roles": {"type": "array", "items": string}, "admin": boolean}), &[]),
        "Invite": s(json!({"url": string, "expires": string, "existing": boolean}), &["url", "expires"]),
        "Settings": s(json!({"organization_name": string, "organization_url": string, "contact": string,
            "default_connection": string, "forced_connection": boolean, "open_to_public": boolean}), &[]),
        "AdminSettings": s(json!({"organization_name": string, "organization_url": string, "contact": string,
            "default_connection": string, "forced_connection": boolean, "open_to_public": boolean,
            "pending_import": {"oneOf": [{"type": "null"}, r("PendingImport")], "readOnly": true,
                "description": "An old Convos home in CONVOS_HOME not imported yet: run `command` with the daemon stopped."}}), &["pending_import"]),
        "PendingImport": s(json!({"source": {"enum": ["convos"]}, "path": string, "users": int, "command": string}), &["source", "path", "users", "command"]),
        "PublicSettings": s(json!({"organization_name": string, "organization_url": string, "contact": string, "open_to_public": boolean,
            "first_user": boolean, "default_connection": string, "forced_connection": boolean,
            "oidc": {"type": "array", "items": r("OidcProvider")}, "password_login": boolean}), &[]),
        "Connection": s(json!({"connection_id": string, "name": string, "url": string, "nick": string,
            "state": {"enum": ["connected", "connecting", "disconnected"]}, "wanted_state": {"enum": ["connected", "disconnected"]},
            "message": string, "on_connect_commands": {"type": "array", "items": string}, "retention_days": retention,
            "ignore": {"type": "array", "items": string},
            "casemapping": {"enum": ["ascii", "rfc1459", "rfc1459-strict", "rfc8265"], "description": "How the network compares names; conversation ids are folded with it."},
            "me": s(json!({"nick": string}), &["nick"]), "certificate": s(json!({"fingerprint": string}), &[]),
            "server": r("Server")}), &["connection_id", "url", "state"]),
        "Connections": list("connections", "Connection"),
        "ConnectionCreate": s(json!({"url": string, "server": s(json!({"host": string, "port": int, "tls": boolean, "nick": string,
            "channels": {"type": "array", "items": string}, "account": string, "password": string}), &["host", "nick"]), "on_connect_commands": {"type": "array", "items": string}, "wanted_state": string, "retention_days": retention,
            "ignore": {"type": "array", "items": string}}), &["url"]),
        "ConnectionUpdate": s(json!({"url": string, "name": string, "on_connect_commands": {"type": "array", "items": string}, "wanted_state": string, "retention_days": retention,
            "ignore": {"type": "array", "items": string}}), &[]),
        "Conversation": s(json!({"connection_id": string, "conversation_id": string, "name": string, "topic": string,
            "frozen": string, "unread": int, "notifications": int, "last_read": int, "is_private": boolean,
            "notify": r("Notify"), "presence": r("Presence")}), &["connection_id", "conversation_id"]),
        "Presence": s(json!({"nick": string, "away": string, "account": string, "online": boolean}), &["nick"]),
        "Conversations": list("conversations", "Conversation"),
        "Message": s(json!({"id": int, "connection_id": string, "conversation_id": string, "ts": string,
            "type": {"enum": ["private", "action", "notice", "join", "part", "quit", "kick", "nick", "mode", "topic", "server", "error", "reaction", "call"]},
            "from": string, "message": string, "highlight": boolean, "self": boolean,
            "msgid": string, "reply_to": string}), &["id", "ts", "type", "message"]),
        "Messages": s(json!({"messages": {"type": "array", "items": r("Message")}, "end": boolean, "before": int, "after": int}), &["messages", "end"]),
        "Server": s(json!({"host": string, "port": int, "tls": boolean, "nick": string,
            "channels": {"type": "array", "items": string}, "account": string, "sasl": string}), &["host", "port", "tls", "nick"]),
        "Channels": s(json!({"channels": {"type": "array", "items": s(json!({"name": string, "users": int, "topic": string}), &["name", "users", "topic"])},
            "total": int, "done": boolean, "listed": boolean}), &["channels", "total", "done", "listed"]),
        "Commands": s(json!({"commands": {"type": "array", "items": s(json!({"name": string,
            "aliases": {"type": "array", "items": string}, "usage": string, "help": string}), &["name", "usage"])}}), &["commands"]),
        "File": s(json!({"id": string, "name": string, "size": int, "content_type": string, "created": string,
            "url": {"type": "string", "description": "The link to share; works without logging in."}, "thumbnail_url": string,
            "paste_url": {"type": "string", "description": "Plain text only: the page with line numbers, what a long paste sends."}}),
            &["id", "name", "size", "content_type", "created", "url"]),
        "Files": s(json!({"files": {"type": "array", "items": r("File")}, "used": int, "quota": int, "max_file_size": int}),
            &["files", "used", "quota", "max_file_size"]),
        "LinkPreview": s(json!({"url": string, "kind": {"enum": ["page", "image", "video", "none"]}, "title": string, "description": string,
            "site_name": string, "image_url": {"type": "string", "description": "A link to the daemon's image proxy, never to the remote server."}, "video_url": {"type": "string", "description": "A link to the daemon's video proxy (kind video)."}}),
            &["url", "kind"]),
        "Read": s(json!({"last_read": int}), &[]),
        "Certificate": s(json!({"renew": boolean}), &[]),
        "Participants": s(json!({"participants": {"type": "array", "items": s(json!({"nick": string, "mode": string,
            "away": string, "account": string}), &["nick"])}}), &["participants"]),
    });
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), ops_schemas()) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), prefs_schemas()) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), token_schemas()) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), sign_in_schemas()) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), push_schemas()) {
        all.extend(more);
    }
    all
}

/// Schemas of the operations endpoints (apart: one `json!` of everything is too deep).
fn ops_schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let boolean = json!({"type": "boolean"});
    json!({
        "Ready": s(json!({"ok": boolean, "checks": s(json!({"store": boolean, "listeners": boolean, "users": boolean, "stopping": boolean}), &[])}), &["ok", "checks"]),
    })
}

/// The user's preferences (`model::Prefs`).
fn prefs_schemas() -> Value {
    let boolean = json!({"type": "boolean"});
    json!({
        "Prefs": {"type": "object", "properties": {
            "membership": {"enum": ["condensed", "shown", "hidden"]},
            "clock": {"enum": ["auto", "24h", "12h"]}, "clock_seconds": boolean,
            "nick_colors": boolean, "density": {"enum": ["comfortable", "compact"]},
            "font_size": {"type": "integer", "minimum": 12, "maximum": 22},
            "send_typing": boolean, "paste_lines": {"type": "integer", "minimum": 0, "maximum": 1000},
            "previews": {"enum": ["on", "images", "off"]},
            "previews_hidden": {"type": "array", "maxItems": 500, "items": {"type": "string"}}}},
    })
}

/// Schemas of API tokens and sending (apart: one `json!` of everything is too deep).
fn token_schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let string = json!({"type": "string"});
    let int = json!({"type": "integer"});
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let list = |key: &str, name: &str| json!({"type": "object", "properties": {key: {"type": "array", "items": r(name)}}});
    json!({
        "ApiToken": s(json!({"id": int, "name": string, "scope": {"enum": ["read", "send"]}, "created": string,
            "last_used": {"type": ["string", "null"]}}), &["id", "name", "scope", "created", "last_used"]),
        "ApiTokens": list("tokens", "ApiToken"),
        "Session": s(json!({"id": string, "device": string, "user_agent": string, "address": string, "created": string,
            "last_seen": string, "expires": string, "current": {"type": "boolean"}}),
            &["id", "device", "user_agent", "address", "created", "last_seen", "expires", "current"]),
        "Sessions": list("sessions", "Session"),
        "ApiTokenRequest": s(json!({"name": {"type": "string", "minLength": 1, "maxLength": 64}, "scope": {"enum": ["read", "send"]}}), &["name", "scope"]),
        "ApiTokenCreated": s(json!({"id": int, "name": string, "scope": {"enum": ["read", "send"]}, "created": string,
            "last_used": {"type": ["string", "null"]}, "secret": {"type": "string", "description": "Send as Authorization: Bearer SECRET. Shown only in this answer."}}),
            &["id", "name", "scope", "created", "secret"]),
        "SendRequest": s(json!({"message": string}), &["message"]),
        "Sent": s(json!({"connection_id": string, "conversation_id": string, "message": string}), &["connection_id", "conversation_id", "message"]),
    })
}

/// Schemas of sign-in (apart: one `json!` of everything is too deep).
fn sign_in_schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let string = json!({"type": "string"});
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    json!({
        "OidcProvider": s(json!({"name": string, "label": string}), &["name", "label"]),
        "SignIn": s(json!({"method": {"enum": ["password", "oidc", "ldap", "proxy"]}, "provider": {"type": ["string", "null"]},
            "label": {"type": ["string", "null"]}, "last": string}), &["method", "last"]),
        "AdminUser": {"allOf": [r("User"), s(json!({"sign_ins": {"type": "array", "items": r("SignIn"),
            "description": "How the user signs in, most recent first; empty when not recorded yet."}}), &["sign_ins"])]},
        "LoggedOut": s(json!({"end_session_url": {"type": "string", "description": "Only for a session started by an OpenID provider that offers RP-initiated logout: send the browser there."}}), &[]),
        "Redirect": {"type": "object", "description": "A 303 See Other redirect (a browser navigation), no JSON body."},
    })
}

/// Schemas of Web Push (apart: one `json!` of everything is too deep).
fn push_schemas() -> Value {
    let s = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let string = json!({"type": "string"});
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    json!({
        "PushDevice": s(json!({"id": {"type": "integer"}, "name": string, "endpoint": string, "created": string,
            "last_used": {"type": ["string", "null"]}}), &["id", "name", "endpoint", "created", "last_used"]),
        "PushSettings": s(json!({"public_key": {"type": "string", "description": "VAPID public key, base64url"},
            "devices": {"type": "array", "items": r("PushDevice")}}), &["public_key", "devices"]),
        "PushSubscribe": s(json!({"endpoint": string, "keys": s(json!({"p256dh": string, "auth": string}), &["p256dh", "auth"]),
            "name": {"type": "string", "maxLength": 64}}), &["endpoint", "keys"]),
        "Notify": s(json!({"level": {"enum": ["all", "mentions", "none"]}, "mute_until": {"type": ["integer", "null"], "description": "unix ms; 253402300799000 is forever"},
            "sound": {"type": "boolean"}}), &["level", "mute_until", "sound"]),
        "QuietHours": s(json!({"enabled": {"type": "boolean"}, "start": {"type": "string", "description": "HH:MM"}, "end": {"type": "string", "description": "HH:MM"},
            "time_zone": {"type": "string", "description": "IANA name"}, "calls": {"type": "boolean", "description": "calls still ring"}}),
            &["enabled", "start", "end", "time_zone", "calls"]),
        "Push": s(json!({"kind": {"enum": ["highlight", "private", "message", "call"]}, "title": string, "body": string,
            "connection_id": string, "conversation_id": string, "message_id": {"type": "integer"}, "path": string,
            "tag": string, "sound": {"type": "boolean"}}),
            &["kind", "title", "body", "connection_id", "conversation_id", "message_id", "path", "tag", "sound"]),
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        let params: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut o = json!({
            "summary": op.summary,
            "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}'], "_")),
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", op.response)}}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if let Some(body) = op.body {
            o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}});
        }
        if op.auth {
            o["security"] = json!([{"session": []}, {"token": []}]);
        }
        entry[op.method] = o;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Convos",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Always-online IRC client API. Errors are {\"errors\":[{\"message\",\"path\"}]}. \
                The WebSocket at /events sends events ({seq, event: message|state|rtc|notification|reload}) and \
                takes requests ({id, method: ping|send|load|rtc}); see docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "convos_session"},
                "token": {"type": "http", "scheme": "bearer", "description": "An API token (POST /api/user/tokens): read tokens may GET and follow /events, send tokens may also send; no token manages tokens, passwords, the account or the server."},
            },
            "schemas": schemas(),
        },
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.route("...")` in the router's sources is documented.
    #[test]
    fn every_route_is_documented() {
        let sources = [
            ("/api", include_str!("api.rs")),
            ("/api", include_str!("auth.rs")),
            ("/api", include_str!("admin.rs")),
            ("/api", include_str!("tokens.rs")),
            ("/api", include_str!("push.rs")),
            ("", include_str!("events.rs")),
            ("", include_str!("mod.rs")),
            ("", include_str!("files.rs")),
            ("/api", include_str!("preview.rs")),
            ("", include_str!("ops.rs")),
        ];
        let documented: Vec<String> = OPERATIONS.iter().map(|o| o.path.to_string()).collect();
        let mut seen = 0;
        for (prefix, src) in sources {
            let mut rest = src;
            while let Some(i) = rest.find(".route(") {
                rest = &rest[i + 7..];
                let Some(start) = rest.find('"') else { break };
                let Some(len) = rest[start + 1..].find('"') else {
                    break;
                };
                let path = &rest[start + 1..start + 1 + len];
                let full = if path.starts_with("/api") || prefix.is_empty() {
                    path.to_string()
                } else {
                    format!("{prefix}{path}")
                };
                assert!(
                    documented.contains(&full),
                    "route {full} is not in OPERATIONS"
                );
                seen += 1;
            }
        }
        assert!(seen >= 20, "found only {seen} routes: the scan is broken");
    }

    #[test]
    fn document_is_well_formed() {
        let d = document();
        assert_eq!(d["openapi"], "3.1.0");
        let schemas = d["components"]["schemas"].as_object().expect("schemas");
        for op in OPERATIONS {
            assert!(schemas.contains_key(op.response), "{}", op.response);
            if let Some(b) = op.body {
                assert!(schemas.contains_key(b), "{b}");
            }
            assert!(d["paths"][op.path][op.method].is_object());
        }
    }
}
