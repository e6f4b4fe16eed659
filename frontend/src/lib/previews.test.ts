import { describe, expect, it } from 'vitest';
import { previewLink } from './previews';

describe('previewLink', () => {
  const o = 'https://chat.example.com';
  it('takes the first web link that is not our own upload', () => {
    expect(previewLink('see https://a.example/x and https://b.example', o)).toBe('https://a.example/x');
    expect(previewLink(`${o}/file/tp5PE6cFFhX9l8mtyuV-XA then http://b.example/`, o)).toBe('http://b.example/');
    expect(previewLink(`${o}/paste/tp5PE6cFFhX9l8mtyuV-XA`, o)).toBeNull();
    expect(previewLink('irc://irc.libera.chat/#convos', o)).toBeNull();
    expect(previewLink('javascript:alert(1)', o)).toBeNull();
    expect(previewLink('no links', o)).toBeNull();
  });
});
