//! The API's JSON shapes (docs/api.md). Generated from the server's Rust types into
//! `wire.ts` (`UPDATE_WIRE=1 cargo test --lib wire`); this file only names what the app
//! uses. Plain types, no behaviour.

export type {
  AdminSettings,
  ChannelInfo,
  ChannelPage,
  ClientRequest,
  Connection,
  ConnectionRequest,
  ConnectionState,
  Conversation,
  ErrorItem as ApiErrorItem,
  Event,
  Invite,
  Message,
  MessagePage,
  MessageType,
  Participant,
  Presence,
  PublicSettings,
  Reply,
  RtcConfig,
  Server,
  ServerFrame,
  ServerInput,
  Settings,
  Signal,
  Stamped,
  State,
  Typing,
  User,
} from './wire';
