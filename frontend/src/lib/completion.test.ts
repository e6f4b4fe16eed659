import { describe, expect, it } from 'vitest';
import {
  applyCompletion,
  commandMatches,
  currentCommand,
  InputHistory,
  popupFor,
  tabComplete,
  wordAt,
} from './completion';

const nicks = ['alice', 'Albert', 'bob'];
const chans = ['#convos', '#coffee', '#rust'];

describe('wordAt', () => {
  const cases: [string, number, string][] = [
    ['hello wor', 9, 'wor'],
    ['hello wor', 3, 'hello'],
    ['a  b', 2, ''],
    ['', 0, ''],
  ];
  for (const [t, c, w] of cases) it(`${t}@${c}`, () => expect(wordAt(t, c).word).toBe(w));
});

describe('commands', () => {
  it('matches names and shows usage', () => {
    expect(commandMatches('/jo').map((c) => c.name)).toEqual(['join']);
    expect(commandMatches('/q').map((c) => c.name)).toEqual(['query', 'quote', 'quit']);
    expect(commandMatches('/join #x')).toEqual([]);
    expect(commandMatches('hi')).toEqual([]);
    expect(currentCommand('/join #x')?.usage).toBe('/join <#channel> [key]');
    expect(currentCommand('/JOIN')?.name).toBe('join');
    expect(currentCommand('/nope x')).toBeNull();
  });
});

describe('tabComplete', () => {
  const table: [string, number, string][] = [
    ['al', 2, 'alice: '],
    ['hi al', 5, 'hi alice '],
    ['hi B', 4, 'hi bob '],
    ['join #co', 8, 'join #convos '],
    ['/jo', 3, '/join '],
    ['@bo', 3, '@bob '],
  ];
  for (const [text, cur, want] of table) {
    it(text, () => expect(tabComplete(text, cur, nicks, chans, null)?.text).toBe(want));
  }
  it('cycles on repeated Tab and goes back with Shift', () => {
    const a = tabComplete('al', 2, nicks, chans, null)!;
    expect(a.text).toBe('alice: ');
    const b = tabComplete(a.text, a.cursor, nicks, chans, a.state)!;
    expect(b.text).toBe('Albert: ');
    const c = tabComplete(b.text, b.cursor, nicks, chans, b.state)!;
    expect(c.text).toBe('alice: ');
    const d = tabComplete(c.text, c.cursor, nicks, chans, c.state, true)!;
    expect(d.text).toBe('Albert: ');
  });
  it('keeps text after the cursor', () => {
    const r = tabComplete('hi bo there', 5, nicks, chans, null)!;
    expect(r.text).toBe('hi bob there');
    expect(r.cursor).toBe(7);
  });
  it('returns null without matches', () => {
    expect(tabComplete('zz', 2, nicks, chans, null)).toBeNull();
    expect(tabComplete('', 0, nicks, chans, null)).toBeNull();
  });
});

describe('popupFor', () => {
  it('offers commands, nicks and channels', () => {
    expect(popupFor('/wh', 3, nicks, chans)).toMatchObject({ kind: 'command', items: ['/whois'] });
    expect(popupFor('hey @a', 6, nicks, chans)).toMatchObject({ kind: 'nick', start: 4, items: ['@alice', '@Albert'] });
    expect(popupFor('see #c', 6, nicks, chans)).toMatchObject({ kind: 'channel', items: ['#convos', '#coffee'] });
    expect(popupFor('plain', 5, nicks, chans)).toBeNull();
    expect(popupFor('#rust', 5, nicks, chans)).toBeNull();
  });
  it('applies a choice', () => {
    expect(applyCompletion('hey @a', 4, 6, '@alice')).toEqual({ text: 'hey @alice ', cursor: 11 });
  });
});

describe('InputHistory', () => {
  it('recalls lines and restores the draft', () => {
    const h = new InputHistory();
    h.push('one');
    h.push('two');
    expect(h.up('draft')).toBe('two');
    expect(h.up('two')).toBe('one');
    expect(h.up('one')).toBeNull();
    expect(h.down()).toBe('two');
    expect(h.down()).toBe('draft');
    expect(h.down()).toBeNull();
  });
});

describe('the command list', () => {
  it('is the server’s: aliases find their command, usages are the server’s', () => {
    expect(currentCommand('/j #rust')?.name).toBe('join');
    expect(currentCommand('/q bob')?.name).toBe('query');
    expect(currentCommand('/clear')?.usage).toBe('/clear history [name]');
    expect(commandMatches('/cl').map((c) => c.name)).toEqual(['close', 'clear']);
  });
});
