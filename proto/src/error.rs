//! Errors of this crate: why a line did not parse, why a message could not be built.
//!
//! Each variant is a case a caller may want to branch on or log; none carries the whole
//! input line, so logging an error never leaks a message body.

use thiserror::Error;

/// Why [`Message::parse`](crate::Message::parse) refused a line.
///
/// The grammar is the one of <https://modern.ircdocs.horse/#messages>, with tags per
/// <https://ircv3.net/specs/extensions/message-tags>.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The line is empty or holds only spaces.
    #[error("empty line")]
    Empty,
    /// The line is longer than [`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN) bytes.
    #[error("line too long: {len} bytes, at most {max} accepted")]
    TooLong {
        /// Length of the line without its line ending.
        len: usize,
        /// The cap that was exceeded.
        max: usize,
    },
    /// The line holds a NUL, CR or LF byte before its end, which no IRC message may
    /// (<https://modern.ircdocs.horse/#messages>).
    #[error("forbidden byte 0x{byte:02x} at offset {offset}")]
    ForbiddenByte {
        /// The byte found.
        byte: u8,
        /// Its offset in the line.
        offset: usize,
    },
    /// The line has a tag section but nothing after it.
    #[error("line holds only tags")]
    OnlyTags,
    /// A tag is malformed: empty key, a key with characters outside
    /// `[+][vendor/]name`, or an empty tag section.
    #[error("bad tag: {0}")]
    BadTag(&'static str),
    /// The line has a `:` source prefix with nothing after the colon.
    #[error("empty source")]
    EmptySource,
    /// The line has no command after its tags and source.
    #[error("no command")]
    NoCommand,
    /// The command is neither letters nor a three-digit numeric.
    #[error("invalid command: must be letters or three digits")]
    InvalidCommand,
    /// The line has more than 15 parameters.
    #[error("too many parameters: at most 15 allowed")]
    TooManyParams,
}

/// Why [`Builder::build`](crate::Builder::build) refused to make a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    /// The command is neither letters nor a three-digit numeric.
    #[error("invalid command: must be letters or three digits")]
    InvalidCommand,
    /// The source is empty, or holds a space, NUL, CR or LF.
    #[error("invalid source")]
    InvalidSource,
    /// A tag key is empty or holds characters outside `[+][vendor/]name`.
    #[error("invalid tag key {0:?}")]
    InvalidTagKey(String),
    /// A tag value holds a NUL byte, which tag escaping cannot carry.
    #[error("tag value of {0:?} holds a NUL byte")]
    InvalidTagValue(String),
    /// A parameter holds NUL, CR or LF; or a parameter other than the last one is empty,
    /// holds a space or starts with `:`.
    #[error("invalid parameter {index}: {reason}")]
    InvalidParam {
        /// Zero-based position of the parameter.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More than 15 parameters were given.
    #[error("too many parameters: at most 15 allowed")]
    TooManyParams,
    /// The formatted line would exceed [`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN).
    #[error("message too long")]
    TooLong,
}

/// A formatted message that exceeds the line or tag budget
/// (<https://modern.ircdocs.horse/#message-format>,
/// <https://ircv3.net/specs/extensions/message-tags#size-limit>).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LengthError {
    /// Source, command and parameters plus CRLF take more than the limit.
    #[error("line is {len} bytes with CRLF, limit is {max}")]
    Line {
        /// Bytes used, including the trailing CRLF.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The tag section (from `@` to the space after it) takes more than the limit.
    #[error("tag section is {len} bytes, limit is {max}")]
    Tags {
        /// Bytes used, including `@` and the separating space.
        len: usize,
        /// The limit.
        max: usize,
    },
}
