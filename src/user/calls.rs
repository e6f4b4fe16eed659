//! Call signalling between the user's browsers and IRC (RTCZ, see `crate::rtc`).

use irc_proto::Message;
use serde_json::Value;

use super::actor::Actor;
use super::Error;

impl Actor {
    /// A browser's `rtc` request.
    pub(super) async fn rtc_request(&mut self, _request: Value) -> Result<Value, Error> {
        Err(Error::Invalid("Calls are not available yet.".into()))
    }

    /// An RTCZ NOTICE from IRC.
    pub(super) async fn rtc_incoming(
        &mut self,
        _cid: &str,
        _msg: &Message,
        _from: &str,
        _target: &str,
    ) {
    }
}
