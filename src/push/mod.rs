//! Web Push: the daemon's one push task. User actors hand it a [`Job`] through a bounded
//! queue ([`Handle::notify`] never waits: a full queue drops the push), and it encrypts
//! the payload for each of the user's browsers (RFC 8291 `aes128gcm`, web-push-native),
//! signs a VAPID token ([`vapid`]) and POSTs through the guarded HTTP client, so every push
//! goes through the outbound address policy. A job's devices are sent to at once, jobs one
//! after the other.
//!
//! One push per conversation per burst: a job for a conversation that had one less than
//! [`Options::burst`] ago is dropped (and the push service replaces an undelivered one with
//! the same `Topic`). A 404/410 answer removes the subscription; 429, 5xx and network
//! errors back the subscription off (doubling, at most an hour, or `Retry-After`).
//!
//! It decides nothing about *whether* to push (browsers active, levels, quiet hours): the
//! user actor does. Must not: block a user actor, log payloads or endpoints' secrets.

pub mod vapid;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hyper::header::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::model::UserId;
use crate::net::http;
use crate::store::{PushSubscription, Store};
pub use vapid::Vapid;

/// Limits of the push task.
#[derive(Debug, Clone)]
pub struct Options {
    /// Jobs waiting at most; more are dropped.
    pub queue: usize,
    /// Pushes for one conversation closer than this are one push.
    pub burst: Duration,
    /// One POST to a push service, at most.
    pub timeout: Duration,
    /// How long a push service keeps an undelivered push (`TTL`).
    pub ttl: Duration,
    /// The longest back-off after failures.
    pub max_backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            queue: 256,
            burst: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            ttl: Duration::from_secs(4 * 3600),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

/// What a push is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A highlight or private message.
    Normal,
    /// An incoming call.
    High,
}

/// One push for all of a user's browsers.
#[derive(Debug, Clone)]
pub struct Job {
    pub user_id: UserId,
    /// What collapses: the conversation (and whether it is a call).
    pub topic: String,
    pub urgency: Urgency,
    /// The encrypted content, as the service worker reads it (JSON of `wire::Push`).
    pub payload: Vec<u8>,
}

impl Job {
    /// A job for a conversation: `key` names it (connection and conversation id).
    pub fn new(user_id: UserId, key: &str, urgency: Urgency, payload: Vec<u8>) -> Job {
        Job {
            user_id,
            topic: topic(user_id, key, urgency),
            urgency,
            payload,
        }
    }
}

/// The `Topic` header: at most 32 characters of the base64url alphabet (RFC 8030 §5.4),
/// here a digest of the user, conversation and kind (names are not sent in the clear).
fn topic(user_id: UserId, key: &str, urgency: Urgency) -> String {
    let mut h = Sha256::new();
    h.update(user_id.0.to_be_bytes());
    h.update(key.as_bytes());
    h.update([u8::from(urgency == Urgency::High)]);
    URL_SAFE_NO_PAD.encode(&h.finalize()[..24])
}

/// Sends jobs to the push task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Handle {
    tx: mpsc::Sender<Job>,
    public_key: String,
}

impl Handle {
    /// Queues `job`; `false` when the queue is full or the task ended (the push is lost,
    /// the user's actor goes on).
    pub fn notify(&self, job: Job) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => true,
            Err(e) => {
                debug!(error = %e, "push dropped");
                false
            }
        }
    }

    /// The VAPID public key browsers subscribe with (base64url).
    pub fn public_key(&self) -> &str {
        &self.public_key
    }
}

/// Starts the push task; it sends with `client` (the outbound policy's) and signs with
/// `vapid` for `contact`, until `shutdown`.
pub fn spawn(
    store: Store,
    client: http::Client,
    vapid: Vapid,
    contact: String,
    opts: Options,
    shutdown: CancellationToken,
) -> Handle {
    let (tx, rx) = mpsc::channel(opts.queue.max(1));
    let handle = Handle {
        tx,
        public_key: vapid.public_key().to_owned(),
    };
    let task = Task {
        store,
        client,
        vapid,
        contact,
        opts,
        last: HashMap::new(),
        backoff: HashMap::new(),
    };
    tokio::spawn(task.run(rx, shutdown));
    handle
}

struct Task {
    store: Store,
    client: http::Client,
    vapid: Vapid,
    contact: String,
    opts: Options,
    /// When each topic was last asked for (bursts).
    last: HashMap<String, Instant>,
    /// Subscriptions that failed: skipped until then, and how many failures in a row.
    backoff: HashMap<i64, (Instant, u32)>,
}

/// Topics remembered at most (older ones are forgotten first).
const MAX_TOPICS: usize = 10_000;

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                job = rx.recv() => match job {
                    Some(job) => self.job(job).await,
                    None => break,
                },
            }
        }
    }

    async fn job(&mut self, job: Job) {
        let now = Instant::now();
        let burst = self.opts.burst;
        let previous = self.last.insert(job.topic.clone(), now);
        if previous.is_some_and(|t| now.duration_since(t) < burst) {
            debug!(user = %job.user_id, "push collapsed into the burst's first");
            return;
        }
        if self.last.len() > MAX_TOPICS {
            self.last.retain(|_, t| now.duration_since(*t) < burst);
        }
        let subs = match self.store.push_subscriptions(job.user_id).await {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "push: cannot read subscriptions");
                return;
            }
        };
        let ready: Vec<PushSubscription> = subs
            .into_iter()
            .filter(|sub| {
                let waiting = self
                    .backoff
                    .get(&sub.id)
                    .is_some_and(|(until, _)| *until > now);
                if waiting {
                    debug!(subscription = sub.id, "push: backing off");
                }
                !waiting
            })
            .collect();
        // The user's devices at once (at most MAX_PUSH_SUBSCRIPTIONS): one slow push
        // service costs the job one timeout, not one per device.
        let sends = ready.iter().map(|sub| self.send(sub, &job));
        let answers = futures_util::future::join_all(sends).await;
        for (sub, answer) in ready.iter().zip(answers) {
            self.answered(sub, answer).await;
        }
    }

    /// Encrypts and POSTs one push; `None` when the subscription's keys are unusable.
    async fn send(
        &self,
        sub: &PushSubscription,
        job: &Job,
    ) -> Option<Result<http::Posted, http::Error>> {
        let request = match request(&self.vapid, &self.contact, sub, job, self.opts.ttl) {
            Ok(r) => r,
            Err(e) => {
                warn!(subscription = sub.id, error = %e, "push: unusable subscription");
                return None;
            }
        };
        Some(
            self.client
                .post(
                    &sub.endpoint,
                    request.headers,
                    request.body,
                    self.opts.timeout,
                )
                .await,
        )
    }

    /// What a push service's answer means for the subscription.
    async fn answered(
        &mut self,
        sub: &PushSubscription,
        answer: Option<Result<http::Posted, http::Error>>,
    ) {
        match answer {
            // The browser gave unusable keys: it can never get a push.
            None => {
                let _ = self.store.push_delivered(sub.id, false).await;
            }
            Some(Ok(p)) if (200..300).contains(&p.status) => {
                self.backoff.remove(&sub.id);
                if let Err(e) = self.store.push_delivered(sub.id, true).await {
                    debug!(error = %e, "push: cannot note the delivery");
                }
            }
            Some(Ok(p)) if p.status == 404 || p.status == 410 => {
                info!(
                    subscription = sub.id,
                    status = p.status,
                    "push: subscription expired, removed"
                );
                self.backoff.remove(&sub.id);
                let _ = self.store.push_delivered(sub.id, false).await;
            }
            Some(Ok(p)) => {
                warn!(subscription = sub.id, status = p.status, "push refused");
                self.back_off(sub.id, p.retry_after);
            }
            Some(Err(e)) => {
                warn!(subscription = sub.id, error = %e, "push failed");
                self.back_off(sub.id, None);
            }
        }
    }

    fn back_off(&mut self, id: i64, retry_after: Option<u64>) {
        let failures = self.backoff.get(&id).map_or(0, |(_, n)| *n) + 1;
        let wait = retry_after.map(Duration::from_secs).unwrap_or_else(|| {
            Duration::from_secs(30).saturating_mul(1u32 << failures.min(10).saturating_sub(1))
        });
        let wait = wait.min(self.opts.max_backoff);
        self.backoff.insert(id, (Instant::now() + wait, failures));
    }
}

/// A push as sent: headers and the encrypted body.
pub struct Request {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad subscription: {0}")]
    Subscription(String),
    #[error("cannot encrypt: {0}")]
    Encrypt(String),
    #[error(transparent)]
    Vapid(#[from] vapid::Error),
}

/// Encrypts `job`'s payload for `sub` and signs the VAPID header.
pub fn request(
    vapid: &Vapid,
    contact: &str,
    sub: &PushSubscription,
    job: &Job,
    ttl: Duration,
) -> Result<Request, Error> {
    use web_push_native::{p256::PublicKey, Auth, WebPushBuilder};
    let bad = |what: &str| Error::Subscription(what.to_owned());
    let url = url::Url::parse(&sub.endpoint).map_err(|_| bad("endpoint"))?;
    let uri: hyper::Uri = sub.endpoint.parse().map_err(|_| bad("endpoint"))?;
    let p256dh = URL_SAFE_NO_PAD
        .decode(sub.p256dh.trim_end_matches('='))
        .map_err(|_| bad("p256dh"))?;
    let key = PublicKey::from_sec1_bytes(&p256dh).map_err(|_| bad("p256dh"))?;
    let auth = URL_SAFE_NO_PAD
        .decode(sub.auth.trim_end_matches('='))
        .map_err(|_| bad("auth"))?;
    if auth.len() != 16 {
        return Err(bad("auth"));
    }
    let built = WebPushBuilder::new(uri, key, Auth::clone_from_slice(&auth))
        .with_valid_duration(ttl)
        .build(job.payload.clone())
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let (parts, body) = built.into_parts();
    let mut headers: Vec<(HeaderName, HeaderValue)> = parts
        .headers
        .into_iter()
        .filter_map(|(k, v)| k.map(|k| (k, v)))
        .filter(|(k, _)| k != hyper::header::CONTENT_LENGTH)
        .collect();
    let authorization = vapid.authorization(&url, contact)?;
    let value = |s: &str| HeaderValue::from_str(s).map_err(|e| Error::Encrypt(e.to_string()));
    headers.push((hyper::header::AUTHORIZATION, value(&authorization)?));
    headers.push((HeaderName::from_static("topic"), value(&job.topic)?));
    let urgency = match job.urgency {
        Urgency::High => "high",
        Urgency::Normal => "normal",
    };
    headers.push((
        HeaderName::from_static("urgency"),
        HeaderValue::from_static(urgency),
    ));
    Ok(Request { headers, body })
}
