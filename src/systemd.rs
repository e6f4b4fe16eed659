//! systemd's service protocol (`Type=notify`, sd_notify(3)) through the `sd-notify` crate:
//! `READY=1` once the daemon serves, `WATCHDOG=1` while the database writer answers, and
//! `STOPPING=1` at shutdown. Without `NOTIFY_SOCKET` (not under systemd) all of it does
//! nothing.
//!
//! Owns no state; must not block the runtime (a datagram to a local socket).

use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Tells systemd the daemon is ready, with a one-line status.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells systemd the daemon is stopping.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot notify systemd");
    }
}

/// Pings the systemd watchdog (`WatchdogSec=`) at half its interval for as long as the
/// store's writer commits within that half: a wedged writer (or runtime) gets the service
/// restarted instead of silently storing nothing.
pub fn spawn_watchdog(store: Store, shutdown: CancellationToken) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = (interval / 2).max(Duration::from_millis(100));
    tracing::info!(every = ?every, "systemd watchdog enabled");
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            match tokio::time::timeout(every, store.check_writable()).await {
                Ok(Ok(())) => send(&[NotifyState::Watchdog]),
                Ok(Err(e)) => tracing::warn!(error = %e, "watchdog: the store does not commit"),
                Err(_) => tracing::warn!("watchdog: the store did not answer in time"),
            }
        }
    });
}
