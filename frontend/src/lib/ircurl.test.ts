import { describe, expect, it } from 'vitest';
import { buildIrcUrl, parseIrcUrl } from './ircurl';

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
