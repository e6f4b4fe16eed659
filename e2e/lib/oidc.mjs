// A real OpenID Connect provider for the e2e tests: ./oidc_provider.mjs (npm oidc-provider,
// PKCE required) on 127.0.0.1, tracked by the harness so stopAll() stops it.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir, track, until } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts the provider accepting `redirectUris` / `logoutUris`; resolves when discovery answers. */
export async function startOidcProvider({ redirectUris, logoutUris = [] }) {
  const dir = tempDir('convos-e2e-oidc-');
  const port = await freePort();
  const config = path.join(dir, 'oidc.json');
  fs.writeFileSync(config, JSON.stringify({ redirect_uris: redirectUris, post_logout_redirect_uris: logoutUris }));
  const logFile = path.join(dir, 'oidc.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(here, 'oidc_provider.mjs'), String(port), config], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  track(child, 'oidc-provider');
  const issuer = `http://127.0.0.1:${port}`;
  const logs = () => fs.readFileSync(logFile, 'utf8');
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`oidc provider exited: ${logs()}`);
    const r = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  }, { ms: 20_000, what: 'oidc provider discovery' });
  return { issuer, child, logs };
}
