//! Convos: an always-online web IRC client with video calls.
//!
//! The crate is the whole app; `main.rs` only calls [`cli::main`].
#![forbid(unsafe_code)]
// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "256"]

pub mod account;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod daemon;
pub mod files;
pub mod flag;
pub mod import;
pub mod input;
pub mod irc;
pub mod ldap;
pub mod metrics;
pub mod model;
pub mod net;
pub mod notify;
pub mod oidc;
pub mod preview;
pub mod push;
pub mod rtc;
pub mod store;
pub mod systemd;
pub mod time;
pub mod turn;
pub mod user;
pub mod web;
pub mod wire;
