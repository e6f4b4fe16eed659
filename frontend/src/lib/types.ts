//! The API's JSON shapes (docs/api.md). Plain types, no behaviour.

export type ConnectionState = 'connected' | 'connecting' | 'disconnected' | 'queued';

export interface Connection {
  connection_id: string;
  name: string;
  url: string;
  nick: string;
  me?: { nick: string; authenticated?: boolean };
  state: ConnectionState;
  wanted_state: 'connected' | 'disconnected';
  message: string;
  on_connect_commands: string[];
  /** Messages older than this many days are deleted; 0 keeps everything. */
  retention_days: number;
  /** The TLS client certificate for SASL EXTERNAL, when one was made. */
  certificate?: { fingerprint: string | null };
}

export interface Conversation {
  connection_id: string;
  /** "" is the connection's server conversation. */
  conversation_id: string;
  name: string;
  topic: string;
  frozen: string;
  unread: number;
  notifications: number;
  last_read: number;
  is_private: boolean;
  info?: Record<string, unknown>;
}

export type MessageType =
  | 'private'
  | 'action'
  | 'notice'
  | 'join'
  | 'part'
  | 'quit'
  | 'kick'
  | 'nick'
  | 'mode'
  | 'topic'
  | 'server'
  | 'error';

export interface Message {
  id: number;
  connection_id: string;
  conversation_id: string;
  ts: string;
  type: MessageType;
  from: string;
  message: string;
  highlight: boolean;
  self: boolean;
  read?: boolean;
}

export interface User {
  email: string;
  uid: number;
  roles: string[];
  registered: string;
  highlight_keywords: string[];
  unread: number;
  default_connection: string;
  forced_connection: boolean;
  video_service?: string;
  connections?: Connection[];
  conversations?: Conversation[];
}

export interface PublicSettings {
  organization_name: string;
  organization_url: string;
  open_to_public: boolean;
  first_user: boolean;
  default_connection: string;
  forced_connection: boolean;
}

export interface Settings {
  organization_name: string;
  organization_url: string;
  contact: string;
  default_connection: string;
  forced_connection: boolean;
  open_to_public: boolean;
}

export interface Participant {
  nick: string;
  mode: string;
}

export interface MessagePage {
  messages: Message[];
  end: boolean;
  before?: number;
  after?: number;
}

/** A server → browser WebSocket frame (an event with `seq`, or a reply with `id`). */
export interface ServerFrame {
  seq?: number;
  id?: number;
  event?: string;
  errors?: ApiErrorItem[];
  [key: string]: unknown;
}

export interface ApiErrorItem {
  message: string;
  path?: string;
}
