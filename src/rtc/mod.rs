//! RTCZ: the WebRTC call signalling that Convos 4.08–5.05 sent over IRC
//! (`docs/rtcz.md`).
//!
//! This module owns the pure codec: SDP compaction (§3), the ICE form payload (§3.3),
//! chunked `base64(gzip(...))` payloads, the exact CTCP `NOTICE` lines (§2), parsing of
//! incoming CTCP texts and the bounded reassembly of chunks (hardened per §5, D1, D2, D4).
//!
//! It must not touch IO, time sources, tasks or conversation state: callers pass the
//! current time in, send the returned [`Notice`]s through their paced output (D5), and decide
//! which conversation a message belongs to (own-nick mapping, membership checks: D3, D6).
//! Nothing here panics on network input.
//!
//! Sending: [`broadcast`] gives the `CALL`/`HANGUP` notice for a conversation; [`encode`]
//! gives the `OFR`/`ANS`/`ICE` notices for one peer, each line short enough for the relayed
//! prefix budget passed in ([`DEFAULT_PREFIX_LEN`], [`fallback_prefix_len`]).
//!
//! Receiving: [`parse`] the text of each incoming `NOTICE` (never a `PRIVMSG`); a
//! [`Body::Chunk`] goes to [`Reassembler::push`] under a [`Key`] the caller resolved
//! (casefolded sender, conversation mapped from our own nick to the sender), which yields
//! the [`Signal`] once complete. Every error means: drop the line, log at debug.

mod encode;
mod ice;
mod parse;
mod reassemble;
mod sdp;
pub mod servers;

#[cfg(test)]
mod tests;

pub use encode::{broadcast, chunk_len, encode, fallback_prefix_len};
pub use ice::{Candidate, MAX_CANDIDATE, MAX_MID};
pub use parse::{parse, Body, Chunk};
pub use reassemble::{Key, Limits, Reassembler};
pub use sdp::{sdp_abbreviate, sdp_decode, sdp_encode};

/// The IRC line limit, CRLF included.
pub const MAX_LINE: usize = 512;
/// Longest base64 slice per chunk (Convos's fixed chunk size).
pub const MAX_CHUNK: usize = 400;
/// Below this chunk size we refuse to send (docs/rtcz.md D4).
pub const MIN_CHUNK: usize = 64;
/// At most this many chunks per message (`n <= 20`, docs/rtcz.md §2.4 step 4).
pub const MAX_CHUNKS: usize = 21;
/// Length of a worst-case relayed prefix `nick!user@host` (without `:` and the space):
/// a 30-character nick, 10-character user and 63-character host.
pub const DEFAULT_PREFIX_LEN: usize = 30 + 1 + 10 + 1 + 63;
/// Largest SDP or inflated payload we send or accept (docs/rtcz.md D2, D8).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// A conversation-wide announcement, sent to the conversation itself (docs/rtcz.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// `CALL`: "I am in the call now".
    Call,
    /// `HANGUP`: "I left the call".
    Hangup,
}

impl Broadcast {
    /// The RTCZ command word.
    pub fn command(self) -> &'static str {
        match self {
            Broadcast::Call => "CALL",
            Broadcast::Hangup => "HANGUP",
        }
    }
}

/// A signal for one peer, sent as `OFR`/`ANS`/`ICE` chunks (docs/rtcz.md §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// An SDP offer, as the browser produced it (CRLF line ends).
    Offer {
        /// The session description.
        sdp: String,
    },
    /// An SDP answer.
    Answer {
        /// The session description.
        sdp: String,
    },
    /// One trickled ICE candidate.
    Ice(Candidate),
}

impl Signal {
    /// Which chunk kind carries this signal.
    pub fn kind(&self) -> Kind {
        match self {
            Signal::Offer { .. } => Kind::Offer,
            Signal::Answer { .. } => Kind::Answer,
            Signal::Ice(_) => Kind::Ice,
        }
    }
}

/// The three chunked RTCZ commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `OFR`
    Offer,
    /// `ANS`
    Answer,
    /// `ICE`
    Ice,
}

impl Kind {
    /// The RTCZ command word.
    pub fn command(self) -> &'static str {
        match self {
            Kind::Offer => "OFR",
            Kind::Answer => "ANS",
            Kind::Ice => "ICE",
        }
    }
}

/// One `NOTICE` to send: `target` and the CTCP `text` (`\x01RTCZ ...\x01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The IRC target: a channel or a nick.
    pub target: String,
    /// The NOTICE text, CTCP delimiters included.
    pub text: String,
}

impl Notice {
    /// The message to send.
    pub fn message(&self) -> irc_proto::Builder {
        irc_proto::Message::new("NOTICE")
            .param(&self.target)
            .trailing(&self.text)
    }

    /// The wire line without CRLF: `NOTICE <target> :<text>`.
    pub fn line(&self) -> String {
        self.message().to_string()
    }
}

/// Why a signal could not be encoded, or an incoming RTCZ message was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A target or conversation name is empty or holds bytes that would break the line
    /// (space, comma, control characters) or it starts with `:`.
    #[error("invalid {0} name")]
    InvalidName(&'static str),
    /// The SDP or candidate given to the encoder is larger than we send.
    #[error("input of {0} bytes is too large")]
    InputTooLarge(usize),
    /// The names and prefix leave too little room per line for a chunk (docs/rtcz.md D4).
    #[error("only {0} base64 characters fit in a line, fewer than {MIN_CHUNK}")]
    NoRoom(usize),
    /// The payload needs more than [`MAX_CHUNKS`] chunks.
    #[error("payload needs {0} chunks, more than {MAX_CHUNKS}")]
    TooManyChunks(usize),
    /// The CTCP body is not a valid RTCZ message.
    #[error("malformed RTCZ message")]
    Malformed,
    /// A single-word RTCZ command other than `CALL` or `HANGUP`.
    #[error("unknown RTCZ command {0:?}")]
    UnknownCommand(String),
    /// `i/n` with `i > n` or `n` of [`MAX_CHUNKS`] or more.
    #[error("chunk {index}/{last} is out of range")]
    ChunkRange {
        /// The chunk number.
        index: usize,
        /// The announced last chunk number.
        last: usize,
    },
    /// A chunk arrived out of order, after a gap, twice, or after its message timed out.
    #[error("expected chunk {expected}, got {got}")]
    OutOfOrder {
        /// The chunk number we waited for.
        expected: usize,
        /// The chunk number that came.
        got: usize,
    },
    /// Chunks of one message announced different counts.
    #[error("chunk count changed from {was} to {now}")]
    CountChanged {
        /// The last chunk number announced first.
        was: usize,
        /// The last chunk number announced now.
        now: usize,
    },
    /// The payload is not strict standard base64 with padding.
    #[error("invalid base64")]
    Base64,
    /// The decoded payload does not start with the gzip magic.
    #[error("payload is not gzip")]
    NotGzip,
    /// The gzip stream is corrupt or truncated.
    #[error("corrupt gzip: {0}")]
    Gzip(String),
    /// The payload inflates to more than the limit (a gzip bomb, or just too big).
    #[error("payload inflates to more than {0} bytes")]
    TooLarge(usize),
    /// The inflated payload is not UTF-8.
    #[error("payload is not UTF-8")]
    Utf8,
    /// An `OFR`/`ANS` payload that does not decode to an SDP starting with `v=0`.
    #[error("payload is not an SDP")]
    NotSdp,
    /// An `ICE` payload that breaks the rules of docs/rtcz.md §3.3 and D7.
    #[error("invalid ICE payload: {0}")]
    Ice(&'static str),
}
