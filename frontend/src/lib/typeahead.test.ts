import { describe, expect, it } from 'vitest';
import { shouldTypeIntoInput, touchOnly, type KeyLike } from './typeahead';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });

function el(html: string, selector: string): Element {
  document.body.innerHTML = html;
  const found = document.querySelector(selector);
  if (!found) throw new Error(selector);
  return found;
}

describe('shouldTypeIntoInput', () => {
  it('takes printable keys from the page body', () => {
    expect(shouldTypeIntoInput(key('a'), document.body)).toBe(true);
    expect(shouldTypeIntoInput(key('A', {}), document.body)).toBe(true);
    expect(shouldTypeIntoInput(key('é'), null)).toBe(true);
    expect(shouldTypeIntoInput(key('😀'), document.body)).toBe(true);
    expect(shouldTypeIntoInput(key(' '), document.body)).toBe(true);
  });
  it('takes printable keys from a link or button (after a sidebar click)', () => {
    expect(shouldTypeIntoInput(key('h'), el('<nav><a href="/chat/x">x</a></nav>', 'a'))).toBe(true);
    expect(shouldTypeIntoInput(key('/'), el('<button>b</button>', 'button'))).toBe(true);
  });
  it('leaves Space to a focused link or button', () => {
    expect(shouldTypeIntoInput(key(' '), el('<button>b</button>', 'button'))).toBe(false);
    expect(shouldTypeIntoInput(key(' '), el('<a href="/x">x</a>', 'a'))).toBe(false);
  });
  it('ignores named keys and shortcuts', () => {
    for (const k of ['Enter', 'Tab', 'Escape', 'ArrowUp', 'F5', 'Shift', 'Backspace']) {
      expect(shouldTypeIntoInput(key(k), document.body), k).toBe(false);
    }
    expect(shouldTypeIntoInput(key('k', { ctrlKey: true }), document.body)).toBe(false);
    expect(shouldTypeIntoInput(key('c', { metaKey: true }), document.body)).toBe(false);
    expect(shouldTypeIntoInput(key('ArrowUp', { altKey: true }), document.body)).toBe(false);
    expect(shouldTypeIntoInput(key('x', { altKey: true }), document.body)).toBe(false);
    expect(shouldTypeIntoInput(key('@', { ctrlKey: true, altKey: true, altGraph: true }), document.body)).toBe(true);
    expect(shouldTypeIntoInput(key('a', { isComposing: true }), document.body)).toBe(false);
    expect(shouldTypeIntoInput(key('a', { defaultPrevented: true }), document.body)).toBe(false);
  });
  it('leaves fields and dialogs alone', () => {
    expect(shouldTypeIntoInput(key('a'), el('<input>', 'input'))).toBe(false);
    expect(shouldTypeIntoInput(key('a'), el('<textarea></textarea>', 'textarea'))).toBe(false);
    expect(shouldTypeIntoInput(key('a'), el('<select><option>1</option></select>', 'select'))).toBe(false);
    expect(shouldTypeIntoInput(key('a'), el('<div contenteditable="true"><b>x</b></div>', 'b'))).toBe(false);
    expect(shouldTypeIntoInput(key('a'), el('<dialog open><button>x</button></dialog>', 'button'))).toBe(false);
  });
});

describe('touchOnly', () => {
  const media = (matches: string[]) => (q: string) => matches.includes(q);
  it('is true only without a fine pointer', () => {
    expect(touchOnly(media(['(pointer: coarse)']))).toBe(true);
    expect(touchOnly(media(['(pointer: coarse)', '(any-pointer: fine)']))).toBe(false);
    expect(touchOnly(media(['(any-pointer: fine)']))).toBe(false);
  });
});
