// Generated from src/wire.rs by `UPDATE_WIRE=1 cargo test --lib wire`: do not edit.
// The JSON the server sends and accepts (docs/api.md).

export type MessageType = "private" | "action" | "notice" | "join" | "part" | "quit" | "kick" | "nick" | "mode" | "topic" | "server" | "error" | "reaction" | "call";

export type Message = { 
/**
 * Orders the record: `(unix ms << 10) + n`, below 2^53.
 */
id: number, connection_id: string, 
/**
 * `""` is the connection's server conversation.
 */
conversation_id: string, 
/**
 * RFC 3339, UTC, milliseconds.
 */
ts: string, type: MessageType, from: string, message: string, highlight: boolean, 
/**
 * Sent by the user (their nick on that connection).
 */
self: boolean, 
/**
 * Notifications only: whether it was read.
 */
read?: boolean, 
/**
 * The IRC server's id of the message (IRCv3 `msgid`), when it gave one: what replies
 * and reactions refer to.
 */
msgid?: string, 
/**
 * The `msgid` of the message this one answers (a reply) or reacts to (a reaction).
 */
reply_to?: string, };

export type ConnectionState = "connecting" | "connected" | "disconnected";

export type WantedState = "connected" | "disconnected";

export type AutoAway = { message: string, minutes: number, };

export type Prefs = { membership: Membership, clock: Clock, 
/**
 * Times with seconds.
 */
clock_seconds: boolean, 
/**
 * Nicks in their own colour (else all in the text colour).
 */
nick_colors: boolean, density: Density, 
/**
 * Base font size in CSS pixels, 12 to 22.
 */
font_size: number, 
/**
 * Tell others when the user is typing.
 */
send_typing: boolean, 
/**
 * Offer "Send as a paste?" above this many lines (0: never), at most 1000.
 */
paste_lines: number, previews: PreviewMode, 
/**
 * Conversations (`connection_id/conversation_id`) whose previews are hidden whatever
 * `previews` says; at most 500.
 */
previews_hidden: Array<string>, };

export type Membership = "condensed" | "shown" | "hidden";

export type Clock = "auto" | "24h" | "12h";

export type Density = "comfortable" | "compact";

export type PreviewMode = "on" | "images" | "off";

export type Connection = { connection_id: string, 
/**
 * The network's name (ISUPPORT `NETWORK`), else its host.
 */
name: string, 
/**
 * The `irc://` URL, password shown as `********`.
 */
url: string, nick: string, me: Me, state: ConnectionState, wanted_state: WantedState, 
/**
 * Why it is disconnected, or what it is waiting for.
 */
message: string, 
/**
 * Secrets in them shown as `********`.
 */
on_connect_commands: Array<string>, 
/**
 * Messages older than this many days are deleted; 0 keeps everything.
 */
retention_days: number, 
/**
 * The TLS client certificate for SASL EXTERNAL.
 */
certificate: Certificate, 
/**
 * What the URL says, parsed by the server (no secrets): forms show these.
 */
server: Server, 
/**
 * Ignored senders (`nick!user@host` globs): nothing from them is stored or shown.
 */
ignore: Array<string>, 
/**
 * How the network compares nicks and channel names (ISUPPORT `CASEMAPPING`):
 * `ascii`, `rfc1459`, `rfc1459-strict` or `rfc8265`. Conversation ids are already
 * folded with it; a browser folds names it compares the same way
 * (`proto/tests/data/casemapping.json` is the table both sides test against).
 */
casemapping: string, };

export type Me = { nick: string, };

export type Certificate = { 
/**
 * SHA-512 fingerprint (hex) of the certificate, when one was made.
 */
fingerprint: string | null, };

export type Conversation = { connection_id: string, 
/**
 * The name folded by the network's case mapping; `""` for the server conversation.
 */
conversation_id: string, name: string, topic: string, 
/**
 * Why the user is not in it (`""` when joined or private).
 */
frozen: string, unread: number, 
/**
 * Unread highlights.
 */
notifications: number, last_read: number, is_private: boolean, 
/**
 * The user's notification choices (level, mute, sound), the same on every device.
 */
notify: Notify, 
/**
 * A private conversation: the other side's presence, once known.
 */
presence?: Presence, };

export type Participant = { nick: string, 
/**
 * Prefix characters, highest first (`@+`).
 */
mode: string, 
/**
 * Away, with the message (`""` when not said); absent when here.
 */
away?: string, 
/**
 * The services account they are logged in to; absent when none or unknown.
 */
account?: string, };

export type Presence = { nick: string, 
/**
 * Away, with the message (`""` when the server did not say it); absent when here.
 */
away?: string, 
/**
 * The services account they are logged in to; absent when none or unknown.
 */
account?: string, 
/**
 * Someone of a private conversation: on the network (MONITOR or ISON); absent when
 * unknown.
 */
online?: boolean, };

export type Whois = { nick: string, user: string, host: string, realname: string, 
/**
 * The server they are connected to, and its description.
 */
server: string, server_info: string, account: string | null, 
/**
 * With their prefixes (`@#ops`).
 */
channels: Array<string>, idle_secs: number | null, 
/**
 * When they connected (unix ms).
 */
signon: number | null, 
/**
 * Connected with TLS.
 */
secure: boolean, 
/**
 * An IRC operator.
 */
operator: boolean, away: string | null, 
/**
 * `false`: no such nick.
 */
found: boolean, };

export type Event = { "event": "message" } & Message | { "event": "notification" } & Message | { "event": "state" } & State | { "event": "rtc" } & Rtc;

export type State = { "type": "connection", connection_id: string, state: ConnectionState, message: string, } | { "type": "me", connection_id: string, nick: string, } | { "type": "connection_added", connection_id: string, connection: Connection, } | { "type": "connection_update", connection_id: string, connection: Connection, } | { "type": "connection_removed", connection_id: string, } | { "type": "conversation", connection_id: string, conversation: Conversation, } | { "type": "conversation_removed", connection_id: string, conversation_id: string, } | { "type": "cleared", connection_id: string, conversation_id: string, } | { "type": "join", connection_id: string, conversation_id: string, nick: string, } | { "type": "part", connection_id: string, conversation_id: string, nick: string, message: string, } | { "type": "kick", connection_id: string, conversation_id: string, nick: string, message: string, } | { "type": "quit", connection_id: string, nick: string, message: string, } | { "type": "nick_change", connection_id: string, old_nick: string, new_nick: string, } | { "type": "topic", connection_id: string, conversation_id: string, topic: string, } | { "type": "frozen", connection_id: string, conversation_id: string, frozen: string, } | { "type": "participants", connection_id: string, conversation_id: string, participants: Array<Participant>, } | { "type": "presence", connection_id: string, presence: Presence, } | { "type": "whois", connection_id: string, conversation_id: string, whois: Whois, } | { "type": "typing", connection_id: string, conversation_id: string, nick: string, state: Typing, } | { "type": "read", connection_id: string, conversation_id: string, last_read: number, unread: number, notifications: number, 
/**
 * The user's unread notifications after this read (the badge).
 */
unread_notifications: number, } | { "type": "channel_list", connection_id: string, 
/**
 * Channels received so far.
 */
count: number, done: boolean, } | { "type": "prefs", prefs: Prefs, } | { "type": "error", message: string, };

export type Rtc = { connection_id: string, conversation_id: string, 
/**
 * The sender's nick.
 */
from: string, ts: string, } & ({ "type": "call" } | { "type": "hangup" } | { "type": "signal" } & Signal);

export type RtcKind = { "type": "call" } | { "type": "hangup" } | { "type": "signal" } & Signal;

export type Signal = { offer: string, } | { answer: string, } | { ice: string, sdpMid: string | null, sdpMLineIndex: number | null, };

export type Stamped = { seq: number, } & ({ "event": "message" } & Message | { "event": "notification" } & Message | { "event": "state" } & State | { "event": "rtc" } & Rtc);

export type ClientFrame = { 
/**
 * Repeated in the reply.
 */
id?: number, } & ({ "method": "ping" } | { "method": "load" } | { "method": "send", connection_id: string, conversation_id: string, message: string, 
/**
 * The `msgid` of the message this answers (sent as `+draft/reply`).
 */
reply_to?: string, } | { "method": "react", connection_id: string, conversation_id: string, msgid: string, reaction: string, } | { "method": "rtc" } & RtcRequest | { "method": "activity", active: boolean, } | { "method": "typing", connection_id: string, conversation_id: string, state: Typing, });

export type ClientRequest = { "method": "ping" } | { "method": "load" } | { "method": "send", connection_id: string, conversation_id: string, message: string, 
/**
 * The `msgid` of the message this answers (sent as `+draft/reply`).
 */
reply_to?: string, } | { "method": "react", connection_id: string, conversation_id: string, msgid: string, reaction: string, } | { "method": "rtc" } & RtcRequest | { "method": "activity", active: boolean, } | { "method": "typing", connection_id: string, conversation_id: string, state: Typing, };

export type RtcRequest = { connection_id: string, conversation_id: string, } & ({ "event": "call" } | { "event": "hangup" } | { "event": "signal", target: string, } & ({ offer: string, } | { answer: string, } | { ice: string, sdpMid: string | null, sdpMLineIndex: number | null, }));

export type RtcAction = { "event": "call" } | { "event": "hangup" } | { "event": "signal", target: string, } & ({ offer: string, } | { answer: string, } | { ice: string, sdpMid: string | null, sdpMLineIndex: number | null, });

export type Reply = { id: number | null, } & ({ "event": "pong", ts: string, } | { "event": "load", user: User, } | { "event": "sent" } & Sent | { "event": "rtc" } | { "event": "typing" } | { "event": "activity" } | { "event": "reacted" });

export type ReplyBody = { "event": "pong", ts: string, } | { "event": "load", user: User, } | { "event": "sent" } & Sent | { "event": "rtc" } | { "event": "typing" } | { "event": "activity" } | { "event": "reacted" };

export type Sent = { connection_id: string, conversation_id: string, message: string, };

export type Typing = "active" | "paused" | "done";

export type Errors = { id?: number, errors: Array<ErrorItem>, };

export type ErrorItem = { 
/**
 * For the user.
 */
message: string, 
/**
 * JSON pointer of the field it is about, `/` for the whole request.
 */
path: string, };

export type Reload = { event: ReloadTag, 
/**
 * The newest seq now.
 */
seq: number, };

export type ReloadTag = "reload";

export type ServerFrame = Stamped | Reply | Errors | Reload;

export type User = { email: string, uid: number, 
/**
 * `["admin"]` or `[]`.
 */
roles: Array<string>, registered: string, highlight_keywords: Array<string>, 
/**
 * Away when no browser is active (empty message: off).
 */
auto_away: AutoAway, 
/**
 * Display and input preferences (the same on all devices).
 */
prefs: Prefs, 
/**
 * No pushes in these hours (calls may still ring).
 */
quiet_hours: QuietHours, 
/**
 * Unread notifications.
 */
unread: number, default_connection: string, forced_connection: boolean, video_service: string, 
/**
 * ICE servers for calls.
 */
rtc: RtcConfig, 
/**
 * `default_connection` as fields, when it parses (the connect form starts from it).
 */
default_server: Server | null, connections?: Array<Connection>, conversations?: Array<Conversation>, 
/**
 * With connections or conversations: the seq of the newest event they reflect. Open
 * `/events?since=seq` to follow on without a gap; events up to it are already in them.
 */
seq?: number, };

export type RtcConfig = { ice_servers: Array<IceServer>, 
/**
 * `relay` when only TURN relays may be used.
 */
ice_transport_policy?: string, };

export type IceServer = { urls: string, username?: string, credential?: string, };

export type ConnectionList = { connections: Array<Connection>, };

export type ConversationList = { conversations: Array<Conversation>, };

export type ParticipantList = { participants: Array<Participant>, };

export type MessagePage = { messages: Array<Message>, 
/**
 * Nothing more in the direction asked.
 */
end: boolean, 
/**
 * The id to page back from; `null` at the oldest message (always in search results
 * and notifications, which page with `before` = the last id shown).
 */
before: number | null, 
/**
 * The id to page forward from; `null` at the newest message.
 */
after: number | null, };

export type Empty = Record<symbol, never>;

export type UserList = { users: Array<AdminUser>, };

export type Invite = { url: string, expires: string, 
/**
 * The account exists: the link resets its password.
 */
existing: boolean, };

export type PublicSettings = { organization_name: string, organization_url: string, contact: string, open_to_public: boolean, 
/**
 * Nobody has registered yet: the first user becomes admin.
 */
first_user: boolean, default_connection: string, forced_connection: boolean, 
/**
 * OpenID Connect providers to offer as "Sign in with ..." buttons.
 */
oidc: Array<OidcProvider>, 
/**
 * The e-mail and password form is offered (false in "OIDC only" mode).
 */
password_login: boolean, };

export type Settings = { organization_name: string, organization_url: string, contact: string, default_connection: string, 
/**
 * Users may only use `default_connection`.
 */
forced_connection: boolean, 
/**
 * Anyone may register.
 */
open_to_public: boolean, };

export type AdminSettings = { 
/**
 * An old Convos home not imported yet; sent back in a `POST`, it is ignored.
 */
pending_import: PendingImport | null, organization_name: string, organization_url: string, contact: string, default_connection: string, 
/**
 * Users may only use `default_connection`.
 */
forced_connection: boolean, 
/**
 * Anyone may register.
 */
open_to_public: boolean, };

export type PendingImport = { 
/**
 * What it comes from: `convos`.
 */
source: string, path: string, 
/**
 * User directories found in it.
 */
users: number, 
/**
 * What to run, with the daemon stopped.
 */
command: string, };

export type Command = { name: string, 
/**
 * Other names that run it.
 */
aliases: Array<string>, usage: string, help: string, };

export type ChannelInfo = { name: string, users: number, topic: string, };

export type ChannelPage = { channels: Array<ChannelInfo>, 
/**
 * Channels that match, of which `channels` are the first.
 */
total: number, 
/**
 * The server finished the list.
 */
done: boolean, 
/**
 * A list was asked for recently (else: send `/list`).
 */
listed: boolean, };

export type Server = { host: string, port: number, tls: boolean, nick: string, 
/**
 * Channels joined on connect (keys not shown).
 */
channels: Array<string>, 
/**
 * SASL account (the URL's user part), `""` without.
 */
account: string, 
/**
 * `plain`, `external` or `null`.
 */
sasl: string | null, };

export type ServerInput = { host: string, 
/**
 * Default: 6697 with TLS, else 6667.
 */
port?: number, 
/**
 * Default: on.
 */
tls?: boolean, nick: string, 
/**
 * `#chan` or `#chan key`; `#` is added when missing.
 */
channels?: Array<string>, 
/**
 * SASL PLAIN account; with `password` it turns SASL on.
 */
account?: string, password?: string, };

export type ConnectionRequest = { url?: string, server?: ServerInput, on_connect_commands?: Array<string>, wanted_state?: WantedState, 
/**
 * Delete messages older than this many days; 0 keeps everything.
 */
retention_days?: number, 
/**
 * The whole list of ignore masks (`nick`, `nick!user@host`, globs).
 */
ignore?: Array<string>, 
/**
 * The name shown for the connection (at most 64 characters); `""`: the network's own.
 */
name?: string, };

export type CommandList = { commands: Array<Command>, };

export type File = { 
/**
 * The public id: 128 random bits, base64url.
 */
id: string, name: string, 
/**
 * Bytes.
 */
size: number, 
/**
 * What it is served as (`application/octet-stream` files are downloaded).
 */
content_type: string, 
/**
 * RFC 3339, UTC.
 */
created: string, 
/**
 * The link to share, absolute (`CONVOS_REQUEST_BASE` or the request's origin).
 */
url: string, 
/**
 * The page showing it with line numbers (plain text only: pastes).
 */
paste_url?: string, 
/**
 * A small image of it (images only).
 */
thumbnail_url?: string, };

export type FileList = { files: Array<File>, 
/**
 * Bytes all of the user's files take.
 */
used: number, 
/**
 * Bytes they may take.
 */
quota: number, 
/**
 * Bytes one file may have.
 */
max_file_size: number, };

export type LinkPreview = { url: string, 
/**
 * `"page"` (title, description, image), `"image"` (the link is an image), `"video"`
 * (the link is a video browsers play, at most 64 MiB) or `"none"` (nothing to show:
 * no metadata, not reachable, refused, previews off).
 */
kind: string, title?: string, description?: string, site_name?: string, image_url?: string, video_url?: string, };

export type TokenScope = "read" | "send";

export type ApiToken = { id: number, name: string, scope: TokenScope, 
/**
 * RFC 3339.
 */
created: string, 
/**
 * RFC 3339, `null` when never used (updated at most every few minutes).
 */
last_used: string | null, };

export type ApiTokenList = { tokens: Array<ApiToken>, };

export type SessionView = { 
/**
 * Names the session in `DELETE /api/user/sessions/{id}`.
 */
id: string, 
/**
 * What the device is, read from its User-Agent ("Firefox on Linux"), or `""`.
 */
device: string, 
/**
 * The User-Agent as sent (at most 256 characters).
 */
user_agent: string, 
/**
 * The address it logged in from (`""` when unknown).
 */
address: string, 
/**
 * RFC 3339.
 */
created: string, 
/**
 * RFC 3339: when it was last used (to within a few minutes).
 */
last_seen: string, 
/**
 * RFC 3339: when it ends (sooner if logged out or ended here).
 */
expires: string, 
/**
 * The session of this request.
 */
current: boolean, };

export type SessionList = { sessions: Array<SessionView>, };

export type ApiTokenRequest = { name: string, scope: TokenScope, };

export type ApiTokenCreated = { 
/**
 * Send it as `Authorization: Bearer SECRET`.
 */
secret: string, id: number, name: string, scope: TokenScope, 
/**
 * RFC 3339.
 */
created: string, 
/**
 * RFC 3339, `null` when never used (updated at most every few minutes).
 */
last_used: string | null, };

export type SendRequest = { message: string, };

export type OidcProvider = { name: string, label: string, };

export type SignInMethod = "password" | "oidc" | "ldap" | "proxy";

export type SignIn = { method: SignInMethod, 
/**
 * The OpenID provider's name (`oidc` only).
 */
provider: string | null, 
/**
 * The provider's label, when it is still configured.
 */
label: string | null, 
/**
 * The last time, RFC 3339.
 */
last: string, };

export type AdminUser = { sign_ins: Array<SignIn>, email: string, uid: number, 
/**
 * `["admin"]` or `[]`.
 */
roles: Array<string>, registered: string, highlight_keywords: Array<string>, 
/**
 * Away when no browser is active (empty message: off).
 */
auto_away: AutoAway, 
/**
 * Display and input preferences (the same on all devices).
 */
prefs: Prefs, 
/**
 * No pushes in these hours (calls may still ring).
 */
quiet_hours: QuietHours, 
/**
 * Unread notifications.
 */
unread: number, default_connection: string, forced_connection: boolean, video_service: string, 
/**
 * ICE servers for calls.
 */
rtc: RtcConfig, 
/**
 * `default_connection` as fields, when it parses (the connect form starts from it).
 */
default_server: Server | null, connections?: Array<Connection>, conversations?: Array<Conversation>, 
/**
 * With connections or conversations: the seq of the newest event they reflect. Open
 * `/events?since=seq` to follow on without a gap; events up to it are already in them.
 */
seq?: number, };

export type LoggedOut = { end_session_url?: string, };

export type PushDevice = { id: number, 
/**
 * Browser and system, e.g. "Firefox on Android".
 */
name: string, 
/**
 * The push service URL (the browser compares it with its own to say "this device").
 */
endpoint: string, 
/**
 * RFC 3339.
 */
created: string, 
/**
 * RFC 3339, `null` before the first push.
 */
last_used: string | null, };

export type PushSettings = { 
/**
 * The VAPID public key, base64url (`applicationServerKey`).
 */
public_key: string, devices: Array<PushDevice>, };

export type PushKeys = { p256dh: string, auth: string, };

export type PushSubscribe = { endpoint: string, keys: PushKeys, 
/**
 * 1–64 characters; empty: "This device".
 */
name: string, 
/**
 * Sent by browsers, not used.
 */
expirationTime?: number, };

export type PushKind = "highlight" | "private" | "message" | "call";

export type Push = { kind: PushKind, 
/**
 * "alice in #rust", "alice", "alice is calling in #rust".
 */
title: string, 
/**
 * The message (shortened), empty for a call.
 */
body: string, connection_id: string, conversation_id: string, 
/**
 * The message to open at (0 for a call).
 */
message_id: number, 
/**
 * The app path to open, relative to the base path (`/chat/libera/%23rust?around=…`).
 */
path: string, 
/**
 * Notifications with the same tag replace each other (one per conversation).
 */
tag: string, 
/**
 * Whether the notification may make a sound.
 */
sound: boolean, };

export type Level = "all" | "mentions" | "none";

export type Notify = { level: Level, 
/**
 * Silent until this time (unix ms; [`FOREVER_MS`] for good), `null` when not muted.
 */
mute_until: number | null, 
/**
 * Notifications may make a sound.
 */
sound: boolean, };

export type QuietHours = { enabled: boolean, start: string, end: string, 
/**
 * An IANA name such as `Europe/Oslo` (the browser's own, by default).
 */
time_zone: string, 
/**
 * Calls still ring during quiet hours.
 */
calls: boolean, };
