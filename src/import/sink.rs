//! Where the readers put what they find: accounts, connections and conversations (created
//! only when missing), and messages, batched and queued to the store's writer together
//! with the marks of the sources they came from, a few batches in flight so that reading
//! the next batch overlaps committing the last. In a dry run nothing is written and the
//! same counts are kept. Also the progress bar.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::summary::{Account, Summary, User};
use crate::model::{Connection, Conversation, NewEntry, UserId};
use crate::store::{self, ImportUser, Mark, ReadState, Store};

/// Messages per store job: big transactions amortise the commit and the index updates.
const BATCH: usize = 4096;
/// Batches queued to the writer and not yet committed, at most (memory stays bounded).
const IN_FLIGHT: usize = 3;

/// A source registered with [`Sink::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(usize);

/// One file or database being imported, with how far it has been taken.
struct Source {
    key: String,
    user: UserId,
    upto: i64,
    dirty: bool,
}

pub struct Sink {
    /// `None` in a dry run.
    store: Option<Store>,
    marks: HashMap<String, i64>,
    existing: HashSet<String>,
    sources: Vec<Source>,
    dirty: Vec<usize>,
    batch: Vec<NewEntry>,
    in_flight: VecDeque<BoxFuture<'static, store::Result<usize>>>,
    /// Conversations to give their read state once the user's messages are committed.
    finishing: Vec<(UserId, String, String, ReadState)>,
    /// Index into `summary.users` of the user being imported.
    current: Option<usize>,
    dry_ids: i64,
    pub summary: Summary,
    progress: Progress,
}

impl Sink {
    /// A sink writing to `store`, which holds `marks` already.
    pub fn real(store: Store, marks: HashMap<String, i64>, summary: Summary) -> Sink {
        Sink::new(Some(store), marks, HashSet::new(), summary)
    }

    /// A sink that only counts; `peek` is what the database holds, if there is one.
    pub fn dry(peek: Option<store::Peek>, summary: Summary) -> Sink {
        let peek = peek.unwrap_or_default();
        Sink::new(None, peek.marks, peek.emails, summary)
    }

    fn new(
        store: Option<Store>,
        marks: HashMap<String, i64>,
        existing: HashSet<String>,
        summary: Summary,
    ) -> Sink {
        let progress = Progress::new(store.is_some());
        Sink {
            store,
            marks,
            existing,
            sources: Vec::new(),
            dirty: Vec::new(),
            batch: Vec::with_capacity(BATCH),
            in_flight: VecDeque::new(),
            finishing: Vec::new(),
            current: None,
            dry_ids: 0,
            summary,
            progress,
        }
    }

    pub fn dry_run(&self) -> bool {
        self.store.is_none()
    }

    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Starts an account: creates it unless one with its e-mail exists. Returns its id (a
    /// made-up negative one in a dry run).
    pub async fn user(&mut self, u: ImportUser) -> store::Result<UserId> {
        self.end_user().await?;
        let email = u.email.clone();
        let (id, account, admin) = match &self.store {
            Some(store) => {
                let (user, created) = store.import_user(u).await?;
                let account = if created {
                    Account::New
                } else {
                    Account::Existing
                };
                (user.id, account, user.admin)
            }
            None => {
                self.dry_ids -= 1;
                let account = if self.existing.contains(&email) {
                    Account::Existing
                } else {
                    Account::New
                };
                (UserId(self.dry_ids), account, u.admin)
            }
        };
        self.summary.users.push(User::new(&email, account, admin));
        self.current = Some(self.summary.users.len() - 1);
        Ok(id)
    }

    /// The summary of the user being imported.
    pub fn current(&mut self) -> Option<&mut User> {
        let i = self.current?;
        self.summary.users.get_mut(i)
    }

    /// A remark on the user being imported.
    pub fn note(&mut self, note: impl Into<String>) {
        if let Some(u) = self.current() {
            u.notes.push(note.into());
        }
    }

    /// Stores a connection unless the user has one with its id.
    pub async fn connection(&mut self, c: Connection) -> store::Result<()> {
        let created = match &self.store {
            Some(store) => store.import_connection(c).await?,
            None => true,
        };
        if let (true, Some(u)) = (created, self.current()) {
            u.connections += 1;
        }
        Ok(())
    }

    /// Creates a conversation unless it exists.
    pub async fn conversation(&mut self, c: Conversation) -> store::Result<()> {
        let created = match &self.store {
            Some(store) => store.import_conversation(c).await?,
            None => true,
        };
        if let (true, Some(u)) = (created, self.current()) {
            u.conversations += 1;
        }
        Ok(())
    }

    /// Gives a conversation its read state once the user's messages are stored.
    pub fn read_state(&mut self, user: UserId, connection: &str, conv: &str, state: ReadState) {
        self.finishing
            .push((user, connection.to_owned(), conv.to_owned(), state));
    }

    /// Registers a source (a file, a database) of `user`; returns its id and how far an
    /// earlier import took it (lines or row id, 0 if never).
    pub fn source(&mut self, key: String, user: UserId) -> (SourceId, i64) {
        let upto = self.marks.get(&key).copied().unwrap_or(0);
        self.sources.push(Source {
            key,
            user,
            upto,
            dirty: false,
        });
        (SourceId(self.sources.len() - 1), upto)
    }

    /// Counts messages an earlier import stored (skipped now).
    pub fn already(&mut self, n: u64) {
        if let Some(u) = self.current() {
            u.already += n;
        }
    }

    /// Records that `src` has been taken up to `upto`, without a message (a malformed or
    /// skipped line, the end of a file).
    pub fn advance(&mut self, src: SourceId, upto: i64) {
        if let Some(s) = self.sources.get_mut(src.0) {
            if upto > s.upto {
                s.upto = upto;
                if !s.dirty {
                    s.dirty = true;
                    self.dirty.push(src.0);
                }
            }
        }
    }

    /// Adds a message from `src`, which is then taken up to `upto`; the mark travels in
    /// the same store job as the message.
    pub async fn push(&mut self, entry: NewEntry, src: SourceId, upto: i64) -> store::Result<()> {
        if let Some(u) = self.current() {
            u.saw(entry.time);
        }
        self.advance(src, upto);
        self.batch.push(entry);
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Progress: `units` more of the work done (bytes of files, rows of databases).
    pub fn progressed(&mut self, units: u64) {
        self.progress.add(units, self.summary.messages());
    }

    /// Announces `units` more work (see [`Sink::progressed`]).
    pub fn expect_work(&mut self, units: u64) {
        self.progress.grow(units);
    }

    /// Queues the gathered messages and marks; waits only when too many batches are in
    /// flight.
    pub async fn flush(&mut self) -> store::Result<()> {
        let entries = std::mem::take(&mut self.batch);
        let marks: Vec<Mark> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|i| {
                let s = self.sources.get_mut(i)?;
                s.dirty = false;
                Some(Mark {
                    source: s.key.clone(),
                    user_id: s.user,
                    upto: s.upto,
                })
            })
            .collect();
        let Some(store) = &self.store else {
            return Ok(());
        };
        if entries.is_empty() && marks.is_empty() {
            return Ok(());
        }
        let reserved = store.reserve().await?;
        self.in_flight
            .push_back(Box::pin(reserved.import(entries, marks)));
        self.batch = Vec::with_capacity(BATCH);
        while self.in_flight.len() > IN_FLIGHT {
            if let Some(f) = self.in_flight.pop_front() {
                f.await?;
            }
        }
        Ok(())
    }

    /// Queues what is gathered and waits until everything is committed.
    pub async fn settle(&mut self) -> store::Result<()> {
        self.flush().await?;
        while let Some(f) = self.in_flight.pop_front() {
            f.await?;
        }
        Ok(())
    }

    /// Ends the current user: commits its messages, then sets its conversations' read state.
    pub async fn end_user(&mut self) -> store::Result<()> {
        self.settle().await?;
        let finishing = std::mem::take(&mut self.finishing);
        if let Some(store) = &self.store {
            for (user, conn, conv, state) in finishing {
                match store.finish_import(user, &conn, &conv, state).await {
                    Ok(_) | Err(store::Error::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.current = None;
        Ok(())
    }

    /// Ends the import: everything committed and searchable; the progress bar cleared.
    pub async fn finish(&mut self, started: Instant) -> store::Result<()> {
        self.end_user().await?;
        if let Some(store) = &self.store {
            store.index_pending().await?;
            self.summary.seconds = Some(started.elapsed().as_secs_f64());
        }
        self.progress.done();
        Ok(())
    }
}

/// The progress bar on stderr (only on a terminal, only in a real run): work done of the
/// work announced, messages and their rate, time left.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(show: bool) -> Progress {
        use std::io::IsTerminal;
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30.cyan/blue} {percent:>3}% {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            started: now,
            last: now,
        }
    }

    fn grow(&mut self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(units);
        }
    }

    fn add(&mut self, units: u64, messages: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.inc(units);
        let now = Instant::now();
        if now.duration_since(self.last) >= Duration::from_millis(200) {
            self.last = now;
            let secs = now.duration_since(self.started).as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} messages, {}/s",
                super::summary::thousands(messages),
                super::summary::thousands((messages as f64 / secs) as u64)
            ));
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
