// Debian's nginx as a TLS reverse proxy for the e2e tests, as the README recipe sets it
// up: https://127.0.0.1:PORT/chat/ to the daemon with the prefix stripped and
// X-Forwarded-* set. Config, self-signed certificate (openssl), logs and temp files in a
// temp dir; 127.0.0.1 only; tracked by the harness so stopAll() stops it.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { freePort, tempDir, track, until } from './harness.mjs';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));

/** `null` when nginx and openssl are there; else why not (throws under CI=true). */
export function requireNginx() {
  const missing = [];
  if (!NGINX) missing.push('nginx (apt-get install nginx)');
  if (spawnSync('sh', ['-c', 'command -v openssl']).status !== 0) missing.push('openssl');
  if (missing.length === 0) return null;
  const msg = `missing: ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: the e2e tests must not be skipped)`);
  console.error(`\n*** SKIPPED: ${msg} ***\n`);
  return msg;
}

/** Starts nginx on a free port in front of 127.0.0.1:`upstream`; resolves when it accepts. */
export async function startNginx(upstream) {
  const dir = tempDir('convos-e2e-nginx-');
  fs.mkdirSync(path.join(dir, 'tmp'));
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`openssl: ${gen.stderr}`);
  const port = await freePort();
  // As root the workers run as root too: the default user cannot read a mode-700 temp dir.
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  default_type application/octet-stream;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location = /chat { return 301 /chat/; }
    location /chat/ {
      proxy_pass http://127.0.0.1:${upstream}/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Prefix /chat;
      proxy_set_header X-Remote-User "";
      proxy_read_timeout 1h;
      proxy_buffering off;
      client_max_body_size 16m;
    }
    location / { return 404 "not proxied\\n"; }
  }
}
`);
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  const check = spawnSync(NGINX, ['-t', '-q', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t: ${check.stderr}`);
  const child = spawn(NGINX, args, { stdio: 'ignore', detached: true });
  track(child, 'nginx');
  const log = () => {
    try {
      return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  await until(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(false);
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    { ms: 10_000, what: `nginx to listen (${log().slice(-500)})` },
  );
  return { port, url: `https://127.0.0.1:${port}/chat`, log, accessLog: () => fs.readFileSync(path.join(dir, 'access.log'), 'utf8') };
}
