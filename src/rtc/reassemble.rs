//! Bounded reassembly of chunked RTCZ signals (docs/rtcz.md §2.4, hardened per D1 and D2):
//! one buffer per (connection, sender, conversation, kind), in-order chunks only, a
//! timeout, caps on open buffers, strict base64, gzip required, inflation capped.

use std::collections::HashMap;
use std::io::Read as _;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::read::GzDecoder;

use super::{sdp_decode, Candidate, Chunk, Error, Kind, Signal, MAX_CHUNKS, MAX_LINE, MAX_PAYLOAD};

/// Bounds of a [`Reassembler`]; [`Limits::default`] gives the values of docs/rtcz.md §5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most chunks per message; `i/n` with `n >= max_chunks` is refused.
    pub max_chunks: usize,
    /// Most bytes a payload may inflate to.
    pub max_inflated: usize,
    /// A partial message older than this (from its first chunk) is dropped.
    pub timeout: Duration,
    /// Most partial messages per connection; the oldest is evicted beyond it.
    pub max_partials_per_connection: usize,
    /// Most partial messages per sender on one connection; their oldest is evicted beyond it.
    pub max_partials_per_sender: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chunks: MAX_CHUNKS,
            max_inflated: MAX_PAYLOAD,
            timeout: Duration::from_secs(30),
            max_partials_per_connection: 64,
            max_partials_per_sender: 8,
        }
    }
}

/// Whose chunk this is. The caller casefolds `sender` and `conversation` with the server's
/// CASEMAPPING, and has already mapped an own-nick conversation name to the sender (D6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    /// The connection the NOTICE came in on.
    pub connection: &'a str,
    /// The sender's nick, casefolded.
    pub sender: &'a str,
    /// The conversation the signal belongs to, casefolded.
    pub conversation: &'a str,
}

/// Reassembles chunked signals from many connections and senders. Plain data: the
/// caller passes the current time in, and owns the value in one task.
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: Limits,
    /// Per connection, partial messages oldest first.
    connections: HashMap<String, Vec<Partial>>,
}

#[derive(Debug)]
struct Partial {
    sender: String,
    conversation: String,
    kind: Kind,
    last: usize,
    next: usize,
    started: Instant,
    data: String,
}

impl Partial {
    fn is(&self, key: &Key<'_>, kind: Kind) -> bool {
        self.kind == kind && self.sender == key.sender && self.conversation == key.conversation
    }
}

impl Reassembler {
    /// An empty reassembler with these bounds.
    pub fn new(limits: Limits) -> Self {
        Reassembler {
            limits,
            connections: HashMap::new(),
        }
    }

    /// Adds one chunk received at `now`; `chunk.conversation` is ignored in favour of `key`.
    ///
    /// Returns the decoded signal when this was the last chunk, `Ok(None)` while more are
    /// expected. Chunk 0 always starts over. Any error discards the message being built
    /// from this key, so a broken message never completes:
    /// [`Error::ChunkRange`], [`Error::OutOfOrder`] (gap, repeat, or the start is missing or
    /// timed out), [`Error::CountChanged`], and on the last chunk the payload errors
    /// ([`Error::Base64`], [`Error::NotGzip`], [`Error::Gzip`], [`Error::TooLarge`],
    /// [`Error::Utf8`], [`Error::NotSdp`], [`Error::Ice`]).
    pub fn push(
        &mut self,
        key: Key<'_>,
        chunk: Chunk,
        now: Instant,
    ) -> Result<Option<Signal>, Error> {
        let result = self.push_inner(&key, chunk, now);
        if self
            .connections
            .get(key.connection)
            .is_some_and(Vec::is_empty)
        {
            self.connections.remove(key.connection);
        }
        result
    }

    fn push_inner(
        &mut self,
        key: &Key<'_>,
        chunk: Chunk,
        now: Instant,
    ) -> Result<Option<Signal>, Error> {
        let limits = &self.limits;
        let partials = self
            .connections
            .entry(key.connection.to_owned())
            .or_default();
        partials.retain(|p| now.saturating_duration_since(p.started) < limits.timeout);
        let found = partials.iter().position(|p| p.is(key, chunk.kind));
        let (index, last) = (chunk.index, chunk.last);

        if last >= limits.max_chunks || index > last {
            if let Some(at) = found {
                partials.remove(at);
            }
            return Err(Error::ChunkRange { index, last });
        }
        // `parse` checks this too; `Chunk` is public, so keep the bound here as well.
        if chunk.data.len() > MAX_LINE {
            if let Some(at) = found {
                partials.remove(at);
            }
            return Err(Error::Base64);
        }
        if index == 0 {
            if let Some(at) = found {
                partials.remove(at);
            }
            if last == 0 {
                return decode(chunk.kind, &chunk.data, limits.max_inflated).map(Some);
            }
            make_room(partials, key.sender, limits);
            partials.push(Partial {
                sender: key.sender.to_owned(),
                conversation: key.conversation.to_owned(),
                kind: chunk.kind,
                last,
                next: 1,
                started: now,
                data: chunk.data,
            });
            return Ok(None);
        }
        let Some(at) = found else {
            return Err(Error::OutOfOrder {
                expected: 0,
                got: index,
            });
        };
        let partial = &mut partials[at];
        if partial.last != last {
            let was = partial.last;
            partials.remove(at);
            return Err(Error::CountChanged { was, now: last });
        }
        if partial.next != index {
            let expected = partial.next;
            partials.remove(at);
            return Err(Error::OutOfOrder {
                expected,
                got: index,
            });
        }
        partial.data.push_str(&chunk.data);
        partial.next += 1;
        if index < last {
            return Ok(None);
        }
        let partial = partials.remove(at);
        decode(partial.kind, &partial.data, limits.max_inflated).map(Some)
    }

    /// Drops partial messages that timed out by `now`; call it now and then so that
    /// silent senders do not keep memory.
    pub fn expire(&mut self, now: Instant) {
        let timeout = self.limits.timeout;
        self.connections.retain(|_, partials| {
            partials.retain(|p| now.saturating_duration_since(p.started) < timeout);
            !partials.is_empty()
        });
    }

    /// Forgets everything from `connection` (it closed or reconnected).
    pub fn remove_connection(&mut self, connection: &str) {
        self.connections.remove(connection);
    }

    /// How many partial messages are waiting for more chunks.
    pub fn pending(&self) -> usize {
        self.connections.values().map(Vec::len).sum()
    }
}

/// Evicts the oldest partials so that one more fits under both caps.
fn make_room(partials: &mut Vec<Partial>, sender: &str, limits: &Limits) {
    let per_sender = partials.iter().filter(|p| p.sender == sender).count();
    if per_sender >= limits.max_partials_per_sender.max(1) {
        if let Some(oldest) = partials.iter().position(|p| p.sender == sender) {
            partials.remove(oldest);
        }
    }
    while partials.len() >= limits.max_partials_per_connection.max(1) {
        partials.remove(0);
    }
}

/// Base64, gunzip (at most `max` bytes), UTF-8, then the signal of `kind`.
fn decode(kind: Kind, payload: &str, max: usize) -> Result<Signal, Error> {
    let text = String::from_utf8(unpack(payload, max)?).map_err(|_| Error::Utf8)?;
    match kind {
        Kind::Offer | Kind::Answer => {
            let sdp = sdp_decode(&text);
            if !sdp.starts_with("v=0\r\n") {
                return Err(Error::NotSdp);
            }
            Ok(match kind {
                Kind::Offer => Signal::Offer { sdp },
                _ => Signal::Answer { sdp },
            })
        }
        Kind::Ice => Candidate::from_form(&text).map(Signal::Ice),
    }
}

/// Strict base64, gzip magic required, streaming inflate stopped past `max` bytes.
pub(crate) fn unpack(payload: &str, max: usize) -> Result<Vec<u8>, Error> {
    let bytes = STANDARD.decode(payload).map_err(|_| Error::Base64)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(Error::NotGzip);
    }
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|err| Error::Gzip(err.to_string()))?;
    if out.len() > max {
        return Err(Error::TooLarge(max));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
