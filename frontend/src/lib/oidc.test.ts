import { describe, expect, it } from 'vitest';
import { oidcError } from './oidc';

describe('oidcError', () => {
  it('explains known codes and only those', () => {
    expect(oidcError('closed')).toMatch(/registration is closed/);
    expect(oidcError('email')).toMatch(/verified e-mail/);
    expect(oidcError('<b>call 555</b>')).toBe('Sign-in failed. Start again.');
    expect(oidcError(null)).toBe('');
    expect(oidcError('')).toBe('');
  });
});
