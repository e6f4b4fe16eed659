//! The network's channel list (`/list`): gathered from `RPL_LIST` into memory, never
//! stored as messages (a big network answers with tens of thousands of lines), served
//! filtered and sorted to the browser's channel browser, and dropped after a while.

use std::time::Duration;

use irc_proto::{numeric, Message};
use tokio::time::Instant;

use super::state::{Actor, ChannelList};
use super::Error;
use crate::wire::{ChannelInfo, ChannelPage, Event, State};

/// Channels kept from one `/list`, most (Libera has about 50 000), and their text bytes
/// at most: a hostile server cannot make a user's list big.
const MAX_CHANNELS: usize = 100_000;
const MAX_BYTES: usize = 12 * 1024 * 1024;
/// Topic bytes kept per channel.
const MAX_TOPIC: usize = 400;
/// How long a list is kept after it was asked for.
const KEEP: Duration = Duration::from_secs(15 * 60);
/// Channels one page shows, most.
pub const MAX_PAGE: usize = 500;

/// The order of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most users first.
    #[default]
    Users,
    Name,
}

/// What the browser asks of the list.
#[derive(Debug, Clone, Default)]
pub struct ChannelQuery {
    /// Part of the name or topic, any case; empty: all.
    pub q: String,
    pub sort: Sort,
    pub limit: usize,
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Actor {
    /// `/list` was sent: a new list starts.
    pub(super) fn list_started(&mut self, cid: &str) {
        if let Some(c) = self.conns.get_mut(cid) {
            c.channel_list = Some(ChannelList::new(Instant::now()));
        }
        self.publish_list(cid);
    }

    /// `RPL_LISTSTART`, `RPL_LIST` (`<me> <channel> <users> :<topic>`) and `RPL_LISTEND`.
    pub(super) fn on_list(&mut self, cid: &str, msg: &Message) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        let now = Instant::now();
        let list = c.channel_list.get_or_insert_with(|| ChannelList::new(now));
        match msg.command() {
            numeric::RPL_LISTSTART => {
                if list.done {
                    *list = ChannelList::new(now);
                }
            }
            numeric::RPL_LIST => {
                if list.done {
                    *list = ChannelList::new(now);
                }
                let (Some(name), users) = (msg.param(1), msg.param(2)) else {
                    return;
                };
                let (name, topic) = (cut(name, 200), cut(msg.param(3).unwrap_or(""), MAX_TOPIC));
                let size = name.len() + topic.len();
                if list.entries.len() < MAX_CHANNELS
                    && list.bytes + size <= MAX_BYTES
                    && c.isupport.is_channel(name)
                {
                    list.bytes += size;
                    list.entries.push(ChannelInfo {
                        name: name.to_string(),
                        users: users.and_then(|u| u.parse().ok()).unwrap_or(0),
                        topic: topic.to_string(),
                    });
                }
            }
            _ => {
                list.done = true;
                self.publish_list(cid);
            }
        }
    }

    fn publish_list(&mut self, cid: &str) {
        let Some(list) = self.conns.get(cid).and_then(|c| c.channel_list.as_ref()) else {
            return;
        };
        let event = Event::State(State::ChannelList {
            connection_id: cid.to_string(),
            count: list.entries.len() as u64,
            done: list.done,
        });
        self.publish(vec![event]);
    }

    /// A page of the connection's channel list.
    pub(super) fn channels(
        &mut self,
        cid: &str,
        query: &ChannelQuery,
    ) -> Result<ChannelPage, Error> {
        let c = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        if c.channel_list
            .as_ref()
            .is_some_and(|l| l.asked.elapsed() > KEEP)
        {
            c.channel_list = None;
        }
        let Some(list) = &c.channel_list else {
            return Ok(ChannelPage {
                channels: vec![],
                total: 0,
                done: false,
                listed: false,
            });
        };
        let q = query.q.trim().to_lowercase();
        let mut hits: Vec<&ChannelInfo> = list
            .entries
            .iter()
            .filter(|e| {
                q.is_empty()
                    || e.name.to_lowercase().contains(&q)
                    || irc_proto::strip_formatting(&e.topic)
                        .to_lowercase()
                        .contains(&q)
            })
            .collect();
        match query.sort {
            Sort::Users => hits.sort_by(|a, b| b.users.cmp(&a.users).then(a.name.cmp(&b.name))),
            Sort::Name => hits.sort_by_cached_key(|e| e.name.to_lowercase()),
        }
        Ok(ChannelPage {
            total: hits.len() as u64,
            channels: hits
                .into_iter()
                .take(query.limit.clamp(1, MAX_PAGE))
                .cloned()
                .collect(),
            done: list.done,
            listed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(super::cut("héllo", 2), "h");
        assert_eq!(super::cut("héllo", 3), "hé");
        assert_eq!(super::cut("hi", 10), "hi");
    }
}
