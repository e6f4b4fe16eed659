//! HTTP API client (docs/api.md): JSON in, JSON out, `{errors:[...]}` turned into `ApiError`.
//! Knows paths and shapes; holds no state.

import type {
  AdminSettings,
  AdminUser,
  LoggedOut,
  AutoAway,
  ApiToken,
  ApiTokenCreated,
  TokenScope,
  ChannelPage,
  Connection,
  ConnectionRequest,
  Invite,
  Conversation,
  LinkPreview,
  Message,
  MessagePage,
  Participant,
  Prefs,
  Notify,
  PublicSettings,
  QuietHours,
  PushDevice,
  PushSettings,
  PushSubscribe,
  Server,
  SessionList,
  Settings,
  SharedFile,
  SharedFileList,
  User,
} from './types';
import { withBase } from './base';

/** An API failure: `status` 0 is a network error. `message` is fit to show to the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Fetch = typeof fetch;
let fetcher: Fetch = (...args) => fetch(...args);

/** Replaces the fetch function (tests). */
export function setFetch(f: Fetch): void {
  fetcher = f;
}

/** Called on any 401, so the app can go to the login page. */
export let onUnauthorized: () => void = () => {};
export function setOnUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

/** Calls the API; resolves to the JSON answer, rejects with `ApiError`. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetcher(withBase(path), {
      method,
      credentials: 'same-origin',
      // Every POST carries JSON (the server answers 415 to other content types).
      headers: method === 'POST' || body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: method === 'POST' || body !== undefined ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch {
    throw new ApiError(0, 'Could not reach the server.');
  }
  return answer<T>(res, path);
}

/** The JSON of an answer, or its `{errors}` as an `ApiError`. */
async function answer<T>(res: Response, path: string): Promise<T> {
  let json: unknown = {};
  const text = await res.text();
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = {};
    }
  }
  if (!res.ok) {
    const errors = (json as { errors?: { message?: string }[] }).errors;
    const message = errors?.[0]?.message ?? `${res.status} ${res.statusText}`.trim();
    if (res.status === 401 && !path.startsWith('/api/user/login')) onUnauthorized();
    throw new ApiError(res.status, message);
  }
  return json as T;
}

const enc = encodeURIComponent;

/** Uploads a file: the body is its bytes (not JSON), `name` goes in the query. */
export async function upload(file: Blob, name: string): Promise<SharedFile> {
  const path = '/api/files' + query({ name });
  let res: Response;
  try {
    res = await fetcher(withBase(path), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
    });
  } catch {
    throw new ApiError(0, 'Could not reach the server.');
  }
  return answer<SharedFile>(res, path);
}

/** Builds `?a=b&...`, leaving out undefined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`)
    .join('&');
  return q ? `?${q}` : '';
}

/** The messages path of a conversation ("" is the server conversation). */
export function messagesPath(cid: string, conversationId: string): string {
  return conversationId === ''
    ? `/api/connection/${enc(cid)}/messages`
    : `/api/connection/${enc(cid)}/conversation/${enc(conversationId)}/messages`;
}

export const api = {
  publicSettings: () => request<PublicSettings>('GET', '/api/settings/public'),
  login: (email: string, password: string) =>
    request<User>('POST', '/api/user/login', { email, password }),
  register: (email: string, password: string, token?: string) =>
    request<User>('POST', '/api/user/register', { email, password, token }),
  logout: () => request<LoggedOut>('POST', '/api/user/logout'),
  user: () => request<User>('GET', '/api/user?connections=true&conversations=true'),
  updateUser: (body: {
    highlight_keywords?: string[];
    auto_away?: AutoAway;
    prefs?: Prefs;
    quiet_hours?: QuietHours;
    password?: string;
    old_password?: string;
  }) =>
    request<User>('POST', '/api/user', body),
  /** Deletes the logged-in user's account; the server asks for the current password. */
  deleteUser: (password: string) => request<object>('DELETE', '/api/user', { password }),
  users: () => request<{ users: AdminUser[] }>('GET', '/api/users'),
  invite: (email: string) =>
    request<Invite>('POST', `/api/user/${enc(email)}/invite`),
  setAdmin: (email: string, admin: boolean) => request<User>('POST', `/api/user/${enc(email)}`, { admin }),
  deleteOtherUser: (email: string) => request<object>('DELETE', `/api/user/${enc(email)}`),
  settings: () => request<AdminSettings>('GET', '/api/settings'),
  saveSettings: (s: Settings) => request<AdminSettings>('POST', '/api/settings', s),
  createConnection: (body: ConnectionRequest) => request<Connection>('POST', '/api/connections', body),
  updateConnection: (cid: string, body: ConnectionRequest) => request<Connection>('POST', `/api/connection/${enc(cid)}`, body),
  /** The network's channel list from the last `/list` (never stored; kept a while). */
  channels: (cid: string, params: { q?: string; sort?: 'users' | 'name'; limit?: number }) =>
    request<ChannelPage>('GET', `/api/connection/${enc(cid)}/channels` + query(params)),
  /** An `irc://` URL as the server reads it (for prefilling the connect form). */
  ircUrl: (url: string) => request<Server>('GET', '/api/irc-url' + query({ url })),
  clientCertificate: (cid: string, renew = false) =>
    request<Connection>('POST', `/api/connection/${enc(cid)}/certificate`, { renew }),
  deleteConnection: (cid: string) => request<object>('DELETE', `/api/connection/${enc(cid)}`),
  messages: (
    cid: string,
    conversationId: string,
    params: { before?: number; after?: number; around?: number; limit?: number },
  ) => request<MessagePage>('GET', messagesPath(cid, conversationId) + query(params)),
  markRead: (cid: string, conversationId: string, lastRead?: number) =>
    request<Conversation>(
      'POST',
      conversationId === '' ? `/api/connection/${enc(cid)}/read` : `/api/connection/${enc(cid)}/conversation/${enc(conversationId)}/read`,
      lastRead === undefined ? {} : { last_read: lastRead },
    ),
  participants: (cid: string, conversationId: string) =>
    request<{ participants: Participant[] }>(
      'GET',
      `/api/connection/${enc(cid)}/conversation/${enc(conversationId)}/participants`,
    ),
  search: (params: { match: string; before?: string | number; limit?: number }) =>
    request<{ messages: Message[]; end: boolean }>('GET', '/api/search' + query(params)),
  notifications: (params: { before?: number; limit?: number }) =>
    request<{ messages: Message[]; end: boolean }>('GET', '/api/notifications' + query(params)),
  markNotificationsRead: () => request<object>('POST', '/api/notifications/read'),
  upload,
  /** The user's uploaded files, newest first, with used bytes and limits. */
  files: () => request<SharedFileList>('GET', '/api/files'),
  deleteFile: (id: string) => request<object>('DELETE', `/api/file/${enc(id)}`),
  /** What a link is (fetched by the server; text only, images through its proxy). */
  preview: (url: string) => request<LinkPreview>('GET', '/api/preview' + query({ url })),
  /** The user's API tokens (never their values). */
  apiTokens: () => request<{ tokens: ApiToken[] }>('GET', '/api/user/tokens'),
  /** A new API token; its `secret` is in this answer only. */
  createApiToken: (name: string, scope: TokenScope) =>
    request<ApiTokenCreated>('POST', '/api/user/tokens', { name, scope }),
  revokeApiToken: (id: number) => request<object>('DELETE', `/api/user/token/${id}`),
  /** The user's signed-in devices, most recently used first. */
  sessions: () => request<SessionList>('GET', '/api/user/sessions'),
  /** Logs one device out at once. */
  endSession: (id: string) => request<object>('DELETE', `/api/user/sessions/${enc(id)}`),
  /** A conversation's notification level, mute and sound (every device follows). */
  setNotify: (cid: string, conversation: string, notify: Notify) =>
    request<Conversation>('POST', `/api/connection/${enc(cid)}/conversation/${enc(conversation)}/notify`, notify),
  /** The VAPID key to subscribe with and the user's push devices. */
  push: () => request<PushSettings>('GET', '/api/push'),
  addPushDevice: (sub: PushSubscribe) => request<PushDevice>('POST', '/api/push/devices', sub),
  removePushDevice: (id: number) => request<object>('DELETE', `/api/push/device/${id}`),
};
