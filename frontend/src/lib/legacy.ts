//! SDPs from Convos 4.x peers (docs/rtcz.md §3.1, D11, §7): their server dropped every
//! `a=fmtp:`, `a=rtcp-fb:`, `a=extmap:` and `a=ssrc` line before sending. Today's browsers
//! refuse such a description outright ("rtx" payloads without their `apt=` parameter), so
//! without help a 4.x peer's answer or offer would never be applied. Their browser kept
//! the full description locally, so what we restore is what it really uses:
//!
//! * an **answer** to our offer echoes our payload types and header extensions, so the
//!   lines are copied back from our own offer (m-section by m-section, only for the
//!   payload types the answer kept): loss recovery, keyframe requests, congestion control
//!   and the MID extension that tells the streams apart all work again;
//! * an **offer** uses the other browser's numbers, which we cannot know: the
//!   retransmission types, refused without their `apt=` parameter, are taken out, which
//!   leaves the codecs themselves, as a 4.x call had them.
//!
//! An SDP that still has any of those lines is not compacted and passes unchanged.

/** Lines Convos's `sdp_encode` removed (the `a=ssrc` family is not restored). */
const DROPPED = /^a=(fmtp|rtcp-fb|extmap):\d/;
/** Retransmission: refused without its `a=fmtp:<pt> apt=<codec>` line. */
const RTX = /^a=rtpmap:(\d+) rtx\//i;

/** Whether `sdp` has media sections and none of the lines Convos 4.x strips. */
export function isCompacted(sdp: string): boolean {
  const lines = sdp.split(/\r?\n/);
  return lines.some((l) => l.startsWith('m=')) && !lines.some((l) => DROPPED.test(l) || l.startsWith('a=ssrc'));
}

type Section = string[];

function sections(sdp: string): { eol: string; parts: Section[] } {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const parts: Section[] = [[]];
  for (const l of lines) {
    if (l.startsWith('m=')) parts.push([]);
    (parts[parts.length - 1] as Section).push(l);
  }
  return { eol, parts };
}

/** The payload types of a section's `m=` line. */
function payloads(section: Section): string[] {
  return (section[0] ?? '').split(' ').slice(3);
}

/** The payload type a line is about (`a=fmtp:96 ...` → `96`), or null. */
function lineType(line: string): string | null {
  return /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)\s/.exec(line)?.[1] ?? null;
}

/** Takes out the retransmission types without a codec in the section (no `apt=`, or
 *  one for a type the section does not have). */
function dropUnusable(section: Section): Section {
  const present = new Set(payloads(section));
  const apt = new Map<string, string>();
  for (const l of section) {
    const m = /^a=fmtp:(\d+) apt=(\d+)/.exec(l);
    if (m) apt.set(m[1] as string, m[2] as string);
  }
  const bad = new Set<string>();
  for (const l of section) {
    const pt = RTX.exec(l)?.[1];
    if (pt && !present.has(apt.get(pt) ?? '')) bad.add(pt);
  }
  if (!bad.size) return section;
  const kept = payloads(section).filter((pt) => !bad.has(pt));
  if (!kept.length) return section; // nothing left: leave it for the browser to refuse
  const m = (section[0] ?? '').split(' ').slice(0, 3);
  return [[...m, ...kept].join(' '), ...section.slice(1).filter((l) => !bad.has(lineType(l) ?? ''))];
}

/**
 * A remote description from a Convos 4.x peer, made usable (see the module header).
 * `ownOffer` is our offer when `remote` answers it, else null. Anything not compacted
 * comes back unchanged.
 */
export function repairLegacySdp(remote: string, ownOffer: string | null): string {
  if (!isCompacted(remote)) return remote;
  const { eol, parts } = sections(remote);
  const ours = ownOffer ? sections(ownOffer).parts : null;
  const fixed = parts.map((section, i) => {
    if (i === 0) return section;
    let s = section;
    const mine = ours?.[i];
    if (mine && mine[0]?.split(' ')[0] === s[0]?.split(' ')[0]) {
      const kept = new Set(payloads(s));
      const back = mine.filter((l) => l.startsWith('a=extmap:') || (DROPPED.test(l) && kept.has(lineType(l) ?? '')));
      s = [...s, ...back];
    }
    // Still without parameters: an offer, or types our offer did not have.
    return dropUnusable(s);
  });
  return fixed.map((s) => s.join(eol)).join(eol) + eol;
}
