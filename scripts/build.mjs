#!/usr/bin/env node
// `npm run build`: compile src/ to dist/ (one ES module per file, same layout, source maps) so
// `kith` and its worker processes start without compiling TypeScript on every launch.
// `--if-stale` does nothing when dist/ already matches src/. bin/kith.mjs falls back to running
// src/ through tsx whenever dist/ is missing or stale, so a forgotten build is slower, never wrong.
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { builtFresh, sourceStamp, STAMP_FILE } from '../bin/build-stamp.mjs';

const HELP = `usage: node scripts/build.mjs [--if-stale] [--out DIR]

Compiles src/**/*.ts to DIR (and copies src/**/*.mjs) (default dist/) with esbuild, then
bundles the web view's front end (web/ → web/dist/) when it changed.
  --if-stale   skip when DIR already matches src/
  --out DIR    output folder (default: dist next to src)`;

const { values } = parseArgs({ options: { 'if-stale': { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = resolve(values.out ?? join(root, 'dist'));
// The web view's front end (web/ → web/dist/), bundled by the compiled src/web/web-bundle.js.
async function buildWeb() {
  try {
    // From this repository's src/ (through tsx) when dist/ was written elsewhere (--out).
    const mod = out === join(root, 'dist') ? join(out, 'web/web-bundle.js') : join(src, 'web/web-bundle.ts');
    if (mod.endsWith('.ts')) (await import('tsx/esm/api')).register();
    const { ensureWebBundle, webBundleFresh, WEB_DIST } = await import(pathToFileURL(mod).href);
    if (webBundleFresh()) return;
    const t = performance.now();
    await ensureWebBundle();
    console.error(`kith build: web/ → ${WEB_DIST} in ${Math.round(performance.now() - t)} ms`);
  } catch (err) {
    console.error(`kith build: the web view could not be bundled: ${err.message} (kith start bundles it on demand)`);
    process.exitCode = 1;
  }
}
if (values['if-stale'] && builtFresh(src, out)) {
  await buildWeb();
  process.exit();
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.error(`kith build: esbuild is not installed (${err.message}); run npm ci. Kith still runs from src/ through tsx.`);
  process.exit(1);
}
const started = performance.now();
const stamp = sourceStamp(src);
rmSync(out, { recursive: true, force: true });
try {
  await esbuild.build({
    entryPoints: [`${src}/**/*.ts`],
    outbase: src,
    outdir: out,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch {
  // esbuild has printed the errors, with file and line.
  console.error('kith build: failed; nothing usable was written (kith keeps running src/ through tsx)');
  rmSync(out, { recursive: true, force: true });
  process.exit(1);
}
// Plain JavaScript modules (thread entries) are copied as they are.
for (const d of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!d.isFile() || !d.name.endsWith('.mjs')) continue;
  const from = join(d.parentPath ?? d.path, d.name);
  const to = join(out, from.slice(src.length + 1));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
writeFileSync(join(out, STAMP_FILE), stamp);
console.error(`kith build: src/ → ${out} in ${Math.round(performance.now() - started)} ms`);
await buildWeb();
