//! What crosses the browser boundary, as Rust types: the API's objects (`objects`), the
//! WebSocket's events, the browser's request frames and the replies to them (`events`).
//! serde makes them the JSON of docs/api.md; only `web/` (and the event hub, which
//! serializes each event once) turn them into JSON. The frontend's TypeScript types
//! (`frontend/src/lib/wire.ts`) and command list (`commands.ts`) are generated from these by
//! tests that fail when the committed files are stale, so the two sides cannot drift:
//! `UPDATE_WIRE=1 cargo test --lib wire` rewrites them.
//!
//! Plain data: depends on `model` (and `input`'s command list) only, does no IO.

mod events;
mod files;
mod objects;
mod push;
mod sessions;
mod sign_in;
mod tokens;

pub use events::*;
pub use files::*;
pub use objects::*;
pub use push::*;
pub use sessions::*;
pub use sign_in::*;
pub use tokens::*;

#[cfg(test)]
mod tests;
