import { describe, expect, it } from 'vitest';
import { portForTls, splitHostPort } from './ircurl';

describe('connect form helpers', () => {
  it('lets a default port follow the TLS box', () => {
    expect(portForTls(6697, false)).toBe(6667);
    expect(portForTls(6667, true)).toBe(6697);
    expect(portForTls(7000, false)).toBe(7000);
    expect(portForTls(6697, true)).toBe(6697);
  });

  it('takes host:port apart', () => {
    expect(splitHostPort('irc.example.org:6667')).toEqual({ host: 'irc.example.org', port: 6667 });
    expect(splitHostPort(' [::1]:6697 ')).toEqual({ host: '::1', port: 6697 });
    expect(splitHostPort('irc.example.org')).toBeNull();
    expect(splitHostPort('irc.example.org:99999')).toBeNull();
    expect(splitHostPort('::1')).toBeNull();
  });
});
