// Precompresses text assets in dist/ with brotli and gzip, so the server can send them
// without compressing per request. Output is deterministic (gzip mtime 0), which keeps the
// committed bundle reproducible.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const TEXT = /\.(js|css|html|svg|json|txt|map)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (TEXT.test(name) && name !== 'index.html') compress(path);
  }
}

function compress(path) {
  const data = readFileSync(path);
  if (data.length < 256) return;
  writeFileSync(path + '.br', brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(path + '.gz', gzipSync(data, { level: 9 }));
}

walk(dist);
