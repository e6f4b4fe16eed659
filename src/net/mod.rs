//! Outbound network rules shared by every feature that opens a connection or sends a
//! packet on a user's behalf (IRC connections, the built-in TURN relay, and later link
//! previews, push and OIDC): which resolved addresses may be reached.
//!
//! `policy` is pure: no IO, no users, no settings. Callers resolve names themselves and
//! check every address they are about to use, so that `localhost` and DNS rebinding are
//! covered. `http` is the one outbound HTTP client, doing exactly that on every hop.

pub mod http;
pub mod policy;

pub use policy::{Denied, Policy, Reason, Rule, RuleError};
