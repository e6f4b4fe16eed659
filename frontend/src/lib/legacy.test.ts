import { describe, expect, it } from 'vitest';
import { isCompacted, repairLegacySdp } from './legacy';

// Cut down from a Chromium 156 offer: audio with RED, video with VP8 and its RTX.
const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=ssrc:11 cname:x',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'a=mid:1',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=ssrc-group:FID 21 22',
  'a=ssrc:21 cname:x',
  '',
].join('\r\n');

/** What Convos 4.x's server makes of an SDP (docs/rtcz.md §3.1 step 2), decoded again. */
function compact(sdp: string): string {
  return (
    sdp
      .split('\r\n')
      .filter((l) => l && !/^a=ssrc/.test(l) && !/^a=(extmap|fmtp|rtcp-fb):\d/.test(l))
      .join('\r\n') + '\r\n'
  );
}

describe('SDPs from Convos 4.x peers', () => {
  it('tells a compacted SDP from a whole one', () => {
    expect(isCompacted(OFFER)).toBe(false);
    expect(isCompacted(compact(OFFER))).toBe(true);
    expect(isCompacted('v=0\r\n')).toBe(false);
  });

  it('an answer gets back the lines of our offer, for the payload types it kept', () => {
    // The answer kept Opus, dropped RED; kept VP8 and its RTX.
    const answer = compact(OFFER).replace('m=audio 9 UDP/TLS/RTP/SAVPF 111 63', 'm=audio 9 UDP/TLS/RTP/SAVPF 111').replace('a=rtpmap:63 red/48000/2\r\n', '');
    const fixed = repairLegacySdp(answer, OFFER).split('\r\n');
    for (const l of ['a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtcp-fb:96 nack pli', 'a=fmtp:97 apt=96'])
      expect(fixed).toContain(l);
    expect(fixed).not.toContain('a=fmtp:63 111/111');
    expect(fixed.filter((l) => l.startsWith('a=ssrc'))).toEqual([]);
    expect(fixed).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96 97');
    // Each line back in its own section: the video MID only after m=video.
    const video = fixed.indexOf('m=video 9 UDP/TLS/RTP/SAVPF 96 97');
    expect(fixed.indexOf('a=fmtp:97 apt=96')).toBeGreaterThan(video);
    expect(fixed.indexOf('a=fmtp:111 minptime=10;useinbandfec=1')).toBeLessThan(video);
    expect(fixed.at(-1)).toBe('');
  });

  it('an offer loses the retransmission types, refused without their parameters', () => {
    const fixed = repairLegacySdp(compact(OFFER), null).split('\r\n');
    expect(fixed).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111 63');
    expect(fixed).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96');
    expect(fixed.some((l) => /rtx/.test(l))).toBe(false);
    expect(fixed).toContain('a=rtpmap:96 VP8/90000');
  });

  it('an answer without the codec a retransmission type repairs loses that type too', () => {
    const offer = OFFER.replace('96 97\r\n', '96 97 118 119\r\n').replace('a=fmtp:97 apt=96\r\n', 'a=fmtp:97 apt=96\r\na=rtpmap:118 red/90000\r\na=rtpmap:119 rtx/90000\r\na=fmtp:119 apt=118\r\n');
    const answer = compact(offer).replace('96 97 118 119', '96 97 119').replace('a=rtpmap:118 red/90000\r\n', '');
    const fixed = repairLegacySdp(answer, offer).split('\r\n');
    expect(fixed).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96 97');
    expect(fixed.filter((l) => l.includes('119'))).toEqual([]);
  });

  it('leaves whole SDPs alone, and a section of only unusable types', () => {
    expect(repairLegacySdp(OFFER, null)).toBe(OFFER);
    const onlyRtx = 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 97\r\na=rtpmap:97 rtx/90000\r\n';
    expect(repairLegacySdp(onlyRtx, null)).toBe(onlyRtx);
  });
});
