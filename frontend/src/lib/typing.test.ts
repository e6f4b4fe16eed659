import { describe, expect, it } from 'vitest';
import { ACTIVE_MS, applyTyping, saidSomething, type Typists, TypingSender, typingNow, typingText } from './typing';
import type { Typing } from './types';

describe('typists', () => {
  it('come and go', () => {
    const t: Typists = {};
    applyTyping(t, 'c\n#a', 'Bob', 'active', 0);
    applyTyping(t, 'c\n#a', 'carol', 'active', 1000);
    expect(typingNow(t, 'c\n#a', 2000)).toEqual(['Bob', 'carol']);
    expect(typingNow(t, 'c\n#b', 2000)).toEqual([]);
    expect(typingNow(t, 'c\n#a', ACTIVE_MS + 500)).toEqual(['carol']);
    applyTyping(t, 'c\n#a', 'CAROL', 'paused', 1500);
    expect(typingNow(t, 'c\n#a', 2000)).toEqual(['Bob']);
    saidSomething(t, 'c\n#a', 'bob');
    expect(typingNow(t, 'c\n#a', 2000)).toEqual([]);
  });

  it.each([
    [[], ''],
    [['bob'], 'bob is typing…'],
    [['bob', 'carol'], 'bob and carol are typing…'],
    [['a', 'b', 'c'], 'a, b and c are typing…'],
    [['a', 'b', 'c', 'd'], 'Several people are typing…'],
  ])('%j → %s', (nicks, text) => expect(typingText(nicks)).toBe(text));
});

describe('TypingSender', () => {
  it('sends active at most every 3 s and done once', () => {
    const sent: [string, Typing][] = [];
    const s = new TypingSender((k, st) => sent.push([k, st]));
    s.text('k', 'h', 0);
    s.text('k', 'he', 1000);
    s.text('k', 'hel', 3000);
    s.text('k', '', 3500);
    s.text('k', '', 3600);
    s.text('k', '/join #x', 4000);
    expect(sent).toEqual([
      ['k', 'active'],
      ['k', 'active'],
      ['k', 'done'],
    ]);
    s.text('k', 'x', 10_000);
    s.forget('k');
    s.text('k', '', 10_100);
    expect(sent.length).toBe(4);
  });
});
