// Moving in from Convos (issue 17): the daemon finds an old Convos 4.x home in its
// CONVOS_HOME and the admin's settings page says what to run; after `convos import` the old
// user signs in with the old password through the login page and scrolls back into 2019.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ApiClient,
  CONVOS_BIN,
  PASSWORD,
  launchBrowser,
  messageRow,
  newPage,
  requireTools,
  restartDaemon,
  screenshot,
  startDaemon,
  stopAll,
  tempDir,
  until,
} from './lib/harness.mjs';

const skip = requireTools({ ircd: false });

// bcrypt of PASSWORD as Convos 4.x stored it ($2a$, cost 8), made with crypt(3):
//   python3 -c "import crypt; print(crypt.crypt('correct horse battery', '\$2a\$08\$Cn6ZbiF9YrSOo8/Ld0wIFe'))"
// src/account/legacy.rs checks that it verifies.
const HASH = '$2a$08$Cn6ZbiF9YrSOo8/Ld0wIFebmOXj4Jgic5DMaPnjMUOkLpEVa9B7Ge';
const LINES = 400;
const FIRST = 'the very first line, March 2019';
const LAST = 'the newest line, June 2021';

/** A Convos 4.x home: one user, one connection, #History logged monthly 2019–2021. */
function writeConvosHome(home) {
  const user = path.join(home, 'dana@example.com');
  const conn = path.join(user, 'irc-localhost');
  fs.mkdirSync(conn, { recursive: true });
  fs.writeFileSync(
    path.join(user, 'user.json'),
    JSON.stringify({ email: 'dana@example.com', password: HASH, roles: [], registered: '2019-01-01T00:00:00Z', uid: 2 }),
  );
  fs.writeFileSync(
    path.join(conn, 'connection.json'),
    JSON.stringify({
      connection_id: 'irc-localhost',
      protocol: 'irc',
      wanted_state: 'disconnected',
      url: 'irc://127.0.0.1:1?nick=dana&tls=0',
      dialogs: [{ name: '#History', dialog_id: '#history', topic: 'Old times', frozen: '' }],
    }),
  );
  const start = Date.parse('2019-03-01T09:00:00Z');
  const end = Date.parse('2021-06-30T18:00:00Z');
  for (let i = 0; i < LINES; i++) {
    const t = new Date(start + Math.floor(((end - start) * i) / (LINES - 1)));
    const ts = t.toISOString().slice(0, 19);
    const text = i === 0 ? FIRST : i === LINES - 1 ? LAST : `old line ${String(i).padStart(3, '0')}`;
    const file = path.join(conn, ts.slice(0, 4), ts.slice(5, 7), '#history.log');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `${ts} <carl> ${text}\n`);
  }
}

async function signIn(page, url, email) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 });
}

describe('moving in from Convos', { skip: skip ?? false, timeout: 120_000 }, () => {
  let home, daemon, browser;

  before(async () => {
    home = tempDir('convos-e2e-import-');
    writeConvosHome(home);
    [browser, daemon] = await Promise.all([launchBrowser(), startDaemon({ home })]);
  });

  after(async () => {
    await stopAll();
  });

  test('the admin page says an old Convos home waits to be imported', async () => {
    await new ApiClient(daemon.url).post('/api/user/register', { email: 'root@example.com', password: PASSWORD });
    const page = await newPage(browser);
    await signIn(page, daemon.url, 'root@example.com');
    await page.goto(`${daemon.url}/settings/admin`);
    const notice = page.getByTestId('pending-import');
    await notice.waitFor();
    assert.match(await notice.innerText(), /Stop the daemon and run convos import convos \//);
    assert.match(daemon.logs(), /an old Convos home has not been imported/);
    await screenshot(page, 'import-pending');
    await page.context().close();
  });

  test('after the import the old user signs in and scrolls back into 2019', async () => {
    await daemon.stop();
    const run = spawnSync(CONVOS_BIN, ['import', 'convos', home], {
      env: { ...process.env, CONVOS_HOME: home },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`messages: ${LINES} imported`));
    await restartDaemon(daemon);

    const page = await newPage(browser);
    await signIn(page, daemon.url, 'dana@example.com');
    await page.goto(`${daemon.url}/chat/irc-localhost/${encodeURIComponent('#history')}`);
    await messageRow(page, LAST).first().waitFor({ timeout: 15_000 });
    assert.equal(await messageRow(page, FIRST).count(), 0, 'only the newest page is loaded');
    const viewport = page.locator('.viewport');
    await until(
      async () => {
        await viewport.evaluate((el) => el.scrollTo(0, 0));
        return (await messageRow(page, FIRST).count()) === 1;
      },
      { ms: 60_000, every: 150, what: 'the first line of 2019 after scrolling to the top' },
    );
    await page.getByText('This is the beginning of').waitFor();
    await screenshot(page, 'import-history');
  });
});
