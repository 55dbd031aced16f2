import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The web view's front end: `web/src/main.ts` and what it imports (uPlot, cytoscape, CSS),
 * bundled by esbuild into `web/dist/` (app.js, app.css, index.html), which Kith serves itself:
 * nothing is fetched from elsewhere at run time. `npm run build` builds it; `kith start` and the
 * tests build it on demand when web/ changed since (a stamp of every source file's path, size
 * and mtime, like bin/build-stamp.mjs does for dist/).
 */
/** The repository (src/web/ or dist/web/ is two levels below it). */
const ROOT = resolve(import.meta.dirname, '../..');
export const WEB_SOURCES = join(ROOT, 'web');
export const WEB_DIST = join(WEB_SOURCES, 'dist');
const STAMP = '.web-stamp';

function webStamp(): string {
  const h = createHash('sha1');
  const files = readdirSync(WEB_SOURCES, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .filter((f) => !relative(WEB_SOURCES, f).startsWith('dist'))
    .sort();
  for (const f of files) {
    const s = statSync(f);
    h.update(`${relative(WEB_SOURCES, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

export function webBundleFresh(): boolean {
  try {
    return readFileSync(join(WEB_DIST, STAMP), 'utf8') === webStamp();
  } catch {
    return false;
  }
}

/** Build web/dist when missing or stale; returns its path. Safe when several processes race: each builds aside and renames. */
export async function ensureWebBundle(opts: { force?: boolean } = {}): Promise<string> {
  if (!opts.force && webBundleFresh()) return WEB_DIST;
  const stamp = webStamp();
  const esbuild = await import('esbuild');
  const tmp = `${WEB_DIST}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: { app: join(WEB_SOURCES, 'src/main.ts') },
      bundle: true,
      // The graph and chart libraries load only with the pages that draw them.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      outdir: tmp,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    cpSync(join(WEB_SOURCES, 'index.html'), join(tmp, 'index.html'));
    writeFileSync(join(tmp, STAMP), stamp);
    if (!opts.force && webBundleFresh()) return WEB_DIST; // another process finished first
    rmSync(WEB_DIST, { recursive: true, force: true });
    try {
      renameSync(tmp, WEB_DIST);
    } catch (err) {
      if (!existsSync(join(WEB_DIST, STAMP))) throw err;
    }
    return WEB_DIST;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
