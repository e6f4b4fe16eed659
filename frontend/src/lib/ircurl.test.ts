import { describe, expect, it } from 'vitest';
import { buildIrcUrl, parseIrcUrl, portForTls, splitHostPort } from './ircurl';

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

describe('irc urls', () => {
  it('parses the api examples', () => {
    expect(parseIrcUrl('irc://irc.libera.chat:6697/%23convos')).toEqual({
      host: 'irc.libera.chat',
      port: 6697,
      tls: true,
      nick: '',
      channels: ['#convos'],
      saslUser: '',
      saslPassword: '',
    });
    expect(parseIrcUrl('irc://irc.libera.chat:6697?nick=superman&tls=1')).toMatchObject({ nick: 'superman', tls: true });
    expect(parseIrcUrl('irc://localhost:6667/%23a,%23b?tls=0')).toMatchObject({ port: 6667, tls: false, channels: ['#a', '#b'] });
    expect(parseIrcUrl('irc://irc.example.org/#chan')).toMatchObject({ channels: ['#chan'], port: 6697 });
    expect(parseIrcUrl('https://x')).toBeNull();
    expect(parseIrcUrl('nope')).toBeNull();
  });
  it('round-trips', () => {
    const f = {
      host: 'irc.example.org',
      port: 6697,
      tls: true,
      nick: 'me',
      channels: ['#a', '#b'],
      saslUser: 'me@x',
      saslPassword: 'p:w/d',
    };
    const url = buildIrcUrl(f);
    expect(url).toBe('irc://me%40x:p%3Aw%2Fd@irc.example.org:6697/%23a,%23b?nick=me&tls=1&sasl=plain');
    expect(parseIrcUrl(url)).toEqual(f);
  });
});
