import { describe, expect, it } from 'vitest';
import { deviceName, fromBase64Url } from './push';

describe('push', () => {
  it('names devices by browser and system', () => {
    const cases: [string, string][] = [
      ['Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0', 'Firefox on Android'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0', 'Edge on Windows'],
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'Chrome on Linux'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
      ['curl/8.0', 'Browser'],
    ];
    for (const [ua, want] of cases) expect(deviceName(ua)).toBe(want);
  });

  it('reads base64url keys', () => {
    expect([...fromBase64Url('AQID')]).toEqual([1, 2, 3]);
    expect([...fromBase64Url('-_8')]).toEqual([251, 255]);
  });
});
