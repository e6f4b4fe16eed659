import { describe, expect, it } from 'vitest';
import { checkHealth } from './health';

describe('checkHealth', () => {
  it('is true on 200', async () => {
    const f = (async () => new Response('{"ok":true}', { status: 200 })) as typeof fetch;
    expect(await checkHealth(f)).toBe(true);
  });
  it('is false on errors', async () => {
    const bad = (async () => new Response('', { status: 500 })) as typeof fetch;
    const down = (async () => { throw new TypeError('network'); }) as typeof fetch;
    expect(await checkHealth(bad)).toBe(false);
    expect(await checkHealth(down)).toBe(false);
  });
});
