//! IRC protocol: parsing and formatting of IRC lines. Pure code, no IO, no async.
//!
//! Everything else in the product reads and writes IRC through this crate:
//!
//! - [`Message`]: one line, parsed with [`Message::parse`] into one owned buffer plus
//!   spans (one allocation), shown on the wire by `to_string()`; built with
//!   [`Message::new`] → [`Builder`]. Grammar: <https://modern.ircdocs.horse/#messages>,
//!   tags: <https://ircv3.net/specs/extensions/message-tags>.
//! - [`Source`]: `nick!user@host` split into parts.
//! - [`split`]: long PRIVMSG/NOTICE text cut into lines that fit 512 bytes once relayed.
//! - [`decode()`]: raw bytes to text, UTF-8 with a CP1252 fallback.
//! - [`ctcp`]: `\x01CMD args\x01` framing.
//! - [`ISupport`] and [`CaseMapping`]: what the server advertises in 005 and how it folds
//!   names.
//! - [`formatting`]: bold/colour codes to styled spans, and [`strip_formatting`].
//! - [`numeric`]: reply codes by name.
//!
//! ```
//! use irc_proto::{Message, Source};
//! let m = Message::parse("@time=2024-01-01T00:00:00.000Z :nick!u@h PRIVMSG #chan :hi there\r\n")?;
//! assert_eq!(m.tag("time"), Some(Some("2024-01-01T00:00:00.000Z")));
//! assert_eq!(m.source(), Some("nick!u@h"));
//! assert_eq!(m.command(), "PRIVMSG");
//! assert_eq!(m.params(), ["#chan", "hi there"]);
//! assert_eq!(Source::parse("nick!u@h").user(), Some("u"));
//! assert_eq!(m.to_string(), "@time=2024-01-01T00:00:00.000Z :nick!u@h PRIVMSG #chan :hi there");
//! # Ok::<(), irc_proto::ParseError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
pub mod casemap;
pub mod ctcp;
mod decode;
mod error;
pub mod formatting;
pub mod isupport;
mod message;
pub mod numeric;
mod params;
mod source;
pub mod split;
pub mod tags;

pub use builder::Builder;
pub use casemap::CaseMapping;
pub use ctcp::Ctcp;
pub use decode::{cp1252_char, decode};
pub use error::{BuildError, LengthError, ParseError};
pub use formatting::strip_formatting;
pub use isupport::ISupport;
pub use message::{
    is_valid_command, needs_colon, Message, MAX_CLIENT_TAGS_LEN, MAX_INPUT_LEN, MAX_LINE_LEN,
    MAX_PARAMS, MAX_TAGS_LEN,
};
pub use params::Params;
pub use source::Source;
pub use split::{split_message, split_text, WORST_SOURCE_LEN};
pub use tags::Tags;
