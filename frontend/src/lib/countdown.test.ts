import { describe, expect, it } from 'vitest';
import { parseRetry, retryText, secondsLeft } from './countdown';

describe('parseRetry', () => {
  const cases: [string, { reason: string; seconds: number } | null][] = [
    ['Connection reset by peer. Reconnecting in 3s.', { reason: 'Connection reset by peer.', seconds: 3 }],
    ['Ping timeout Reconnecting in 120s.', { reason: 'Ping timeout', seconds: 120 }],
    ['Reconnecting in 1s.', { reason: '', seconds: 1 }],
    ['Connection refused', null],
    ['Connecting…', null],
    ['', null],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => expect(parseRetry(input)).toEqual(want));
  }
});

describe('secondsLeft', () => {
  it('rounds up and stops at zero', () => {
    expect(secondsLeft(10_000, 7_000)).toBe(3);
    expect(secondsLeft(10_000, 7_001)).toBe(3);
    expect(secondsLeft(10_000, 9_999)).toBe(1);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 20_000)).toBe(0);
  });
});

describe('retryText', () => {
  it('counts down and ends with "Reconnecting…"', () => {
    const msg = 'Connection reset. Reconnecting in 30s.';
    expect(retryText(msg, 30)).toBe('Connection reset. Reconnecting in 30s.');
    expect(retryText(msg, 2)).toBe('Connection reset. Reconnecting in 2s.');
    expect(retryText(msg, 0)).toBe('Connection reset. Reconnecting…');
    expect(retryText('Reconnecting in 5s.', 0)).toBe('Reconnecting…');
  });
  it('leaves other messages alone', () => {
    expect(retryText('Connection refused', 0)).toBe('Connection refused');
  });
});
