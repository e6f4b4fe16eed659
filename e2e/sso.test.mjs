// OpenID Connect sign-in in Chromium: "Sign in with Test ID" on the login page, the real
// provider's login form, back in the app as the first user (admin); logout signs out at
// the provider too (RP-initiated) and lands on our login page; a second person without an
// account on a closed server is told why.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { axeViolations, freePort, launchBrowser, newPage, requireTools, startDaemon, stopAll } from './lib/harness.mjs';
import { startOidcProvider } from './lib/oidc.mjs';

const skip = requireTools({ ircd: false });

describe('sign-in with OpenID Connect', { skip: skip ?? false, timeout: 90_000 }, () => {
  let daemon, provider, browser;

  before(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    [provider, browser] = await Promise.all([
      startOidcProvider({ redirectUris: [`${base}/api/oidc/test/callback`], logoutUris: [`${base}/login`] }),
      launchBrowser(),
    ]);
    daemon = await startDaemon({
      port,
      env: {
        CONVOS_OIDC_PROVIDERS: 'test',
        CONVOS_OIDC_TEST_ISSUER: provider.issuer,
        CONVOS_OIDC_TEST_CLIENT_ID: 'app',
        CONVOS_OIDC_TEST_CLIENT_SECRET: 'appsecret',
        CONVOS_OIDC_TEST_LABEL: 'Test ID',
        CONVOS_OIDC_ALLOW: '127.0.0.1',
      },
    });
  });

  after(async () => {
    await stopAll();
  });

  /** Fails with every axe-core violation on the page as it is now. */
  async function clean(page, what) {
    const v = await axeViolations(page);
    assert.deepEqual(v, [], `${what}: ${v.length} axe violation(s)\n${v.join('\n')}`);
  }

  /** From our login page through the provider's form; resolves back on the daemon. */
  async function signIn(page, user, password) {
    await page.goto(`${daemon.url}/login`);
    await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
    await page.waitForURL((u) => u.href.startsWith(provider.issuer));
    await page.locator('#login').fill(user);
    await page.locator('#password').fill(password);
    await page.locator('#submit').click();
    await page.waitForURL((u) => u.href.startsWith(daemon.url));
  }

  test('the first user signs in through the provider and out of both', async () => {
    const page = await newPage(browser);
    await signIn(page, 'alice', 'alicepass');
    // Signed in: the app shows the first steps (no connection yet), not the login page.
    await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: 15_000 });
    const me = await page.evaluate(async () => (await fetch('/api/user')).json());
    assert.equal(me.email, 'alice@example.test');
    assert.deepEqual(me.roles, ['admin']);
    // The admin's user list tells how each user signs in.
    await page.goto(`${daemon.url}/settings/admin`);
    await page.getByRole('cell', { name: 'OIDC (Test ID)' }).waitFor();
    await clean(page, 'the admin page with sign-in methods');

    await page.getByRole('button', { name: 'Log out' }).click();
    // The provider asks to confirm, then sends the browser back to our login page.
    await page.waitForURL((u) => u.href.startsWith(`${provider.issuer}/session/end`));
    await page.locator('#logout').click();
    await page.waitForURL(`${daemon.url}/login`);
    await page.getByRole('link', { name: 'Sign in with Test ID' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/user')).status);
    assert.equal(status, 401);
    // (The provider's pages have no favicon: resource errors are not the app's.)
    assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  test('without an account on a closed server, the login page says why', async () => {
    const page = await newPage(browser);
    await signIn(page, 'bob', 'bobpass');
    await page.getByRole('alert').filter({ hasText: 'registration is closed' }).waitFor();
    assert.match(page.url(), /\/login\?oidc_error=closed$/);
    await clean(page, 'the login page with a provider button and an error');
  });
});
