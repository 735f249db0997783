// vendor.mjs copies the browser builds of npm dependencies into web/vendor/,
// where ui.go embeds them. web/vendor/ is build output and is gitignored; the
// binary still works without it (charts then show "charts unavailable").
//
// Run after `npm ci` in ui/:  node ui/vendor.mjs   (works from any cwd)
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'web', 'vendor');

const files = [
  ['node_modules/uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['node_modules/uplot/dist/uPlot.min.css', 'uPlot.min.css'],
];

mkdirSync(out, { recursive: true });
for (const [src, name] of files) {
  const from = join(here, src);
  if (!existsSync(from)) {
    console.error(`cannot find ${from}: run "npm ci" in ${here} first`);
    process.exit(1);
  }
  copyFileSync(from, join(out, name));
  console.log(`vendored ${src} -> web/vendor/${name}`);
}
