import { describe, expect, it } from 'vitest';
import { basePath, stripBase, withBase } from './base';

describe('base path', () => {
  it('is read from <base href> and checked', () => {
    const doc = (href: string | null) =>
      ({ querySelector: () => (href === null ? null : { getAttribute: () => href }) }) as unknown as Document;
    expect(basePath(doc(null))).toBe('/');
    expect(basePath(doc('/chat/'))).toBe('/chat/');
    expect(basePath(doc('/a/b-c/'))).toBe('/a/b-c/');
    expect(basePath(doc('/chat'))).toBe('/');
    expect(basePath(doc('https://evil.example/'))).toBe('/');
    expect(basePath(doc('//evil.example/'))).toBe('/');
  });

  it('adds and strips the base', () => {
    expect(withBase('/api/user', '/')).toBe('/api/user');
    expect(withBase('/api/user', '/chat/')).toBe('/chat/api/user');
    expect(withBase('/', '/chat/')).toBe('/chat/');
    expect(stripBase('/chat/settings/account', '/chat/')).toBe('/settings/account');
    expect(stripBase('/chat/', '/chat/')).toBe('/');
    expect(stripBase('/chat', '/chat/')).toBe('/');
    expect(stripBase('/settings', '/')).toBe('/settings');
  });
});
