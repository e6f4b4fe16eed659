//! STS (<https://ircv3.net/specs/extensions/sts>): a server that asks for TLS gets it. An
//! upgrade from plaintext is followed at once by the connection's task; the policy a
//! server gives over TLS is kept with the connection, so that every later connect (after
//! a restart too) uses verified TLS on its port until the policy expires.

use tracing::{info, warn};

use super::state::{Actor, Line};
use crate::model::{Kind, Sts};

/// Longest policy kept (a year), whatever the server says.
const MAX_DURATION_SECS: u64 = 365 * 24 * 3600;

impl Actor {
    pub(super) async fn sts(&mut self, cid: &str, port: u16, duration: Option<u64>) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        let Some(duration) = duration else {
            // The task already reconnects with TLS; keep our copy of the config in step.
            c.config.tls = true;
            c.config.tls_verify = true;
            c.config.port = port;
            let text =
                format!("The server asks for TLS (STS): reconnecting with TLS on port {port}.");
            self.record(cid, Line::new("", Kind::Server, &text)).await;
            return;
        };
        let policy = (duration > 0).then(|| Sts {
            host: c.config.host.clone(),
            port,
            until: crate::time::now_ms()
                .saturating_add(duration.min(MAX_DURATION_SECS) as i64 * 1000),
        });
        // The same policy renewed within a minute is not worth a write.
        let same = match (&c.model.sts, &policy) {
            (Some(a), Some(b)) => a.port == b.port && (b.until - a.until).abs() < 60_000,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        info!(connection = %cid, port, duration, "STS policy");
        c.model.sts = policy;
        let model = c.model.clone();
        if let Err(e) = self.store.save_connection(model).await {
            warn!(error = %e, "cannot save the STS policy");
        }
    }
}
