//! Screen sharing next to the camera (issue 25, docs/calls.md "Screen sharing"): the screen
//! travels as an extra video track in a stream of its own, and a session-level SDP
//! attribute tells our peers which stream that is. Browsers ignore unknown attributes, so
//! a Convos 4.08 peer takes no harm from it; and because its SDPs never carry the mark, we
//! never send it a screen it would mistake for the camera.
//!
//!     a=x-convos:1                 every SDP we send: "I tell screen from camera"
//!     a=x-convos-screen:<stream>   while we share: the msid stream id of the screen

const MARK = 'a=x-convos:1';
const SCREEN = 'a=x-convos-screen:';
/** msid stream ids are tokens (RFC 8830: 1–64 token characters). */
const ID = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

/** Adds our session-level lines (before the first m= line); `null`: the SDP as it is. */
export function markSdp(sdp: string, mark: { screen: string | null } | null): string {
  if (!mark) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const at = lines.findIndex((l) => l.startsWith('m='));
  const add = [MARK];
  if (mark.screen && ID.test(mark.screen)) add.push(SCREEN + mark.screen);
  lines.splice(at < 0 ? lines.length : at, 0, ...add);
  return lines.join(eol);
}

/** Our lines in a peer's SDP (session level only), or null for a plain SDP. */
export function readMark(sdp: string): { screen: string | null } | null {
  let marked = false;
  let screen: string | null = null;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) break;
    if (line === MARK) marked = true;
    else if (line.startsWith(SCREEN)) {
      const id = line.slice(SCREEN.length).trim();
      if (ID.test(id)) screen = id;
    }
  }
  return marked ? { screen } : null;
}
