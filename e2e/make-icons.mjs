// Renders the app icons (frontend/public/icons/*.png) from the logo with Debian chromium:
// `node e2e/make-icons.mjs`. Run it when the logo changes and commit the PNGs; the build
// copies them as they are. (No ImageMagick/rsvg needed: the browser the e2e tests use
// already draws SVG.)
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, REPO_DIR } from './lib/harness.mjs';

const GREEN = '#1f6f5c';
const BUBBLE = 'M14 18h36a4 4 0 0 1 4 4v18a4 4 0 0 1-4 4H30l-10 8v-8h-6a4 4 0 0 1-4-4V22a4 4 0 0 1 4-4z';
// "any": the rounded tile of favicon.svg. "full": a full-bleed square with the bubble inside
// the central 60 % (the safe zone of a maskable icon is the circle of 80 %), also used for
// Apple's touch icon, which iOS rounds itself and which must not be transparent.
const any = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="${GREEN}"/><path d="${BUBBLE}" fill="#fff"/></svg>`;
const full = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="${GREEN}"/><g transform="translate(32 35) scale(0.62) translate(-32 -35)"><path d="${BUBBLE}" fill="#fff"/></g></svg>`;
const ICONS = [
  ['icon-192.png', 192, any],
  ['icon-512.png', 512, any],
  ['maskable-192.png', 192, full],
  ['maskable-512.png', 512, full],
  ['apple-touch-icon.png', 180, full],
];

const out = path.join(REPO_DIR, 'frontend', 'public', 'icons');
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
try {
  for (const [name, size, svg] of ICONS) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const src = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block}</style>${src}`);
    await page.screenshot({ path: path.join(out, name), omitBackground: true });
    await page.close();
    console.log(`${name} ${size}x${size}`);
  }
} finally {
  await browser.close();
}
