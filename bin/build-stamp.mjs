// Whether dist/ (the compiled JavaScript that `kith` runs) still matches src/: a hash of every
// source file's path and modification time, written by scripts/build.mjs and compared here at
// start-up (~5 ms for the whole tree). Any edit, new, renamed or deleted file makes it stale.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const STAMP_FILE = '.source-stamp';

export function sourceStamp(srcDir) {
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
  const h = createHash('sha1');
  for (const f of files) h.update(`${relative(srcDir, f)}\0${statSync(f).mtimeMs}\n`);
  return h.digest('hex');
}

/** True when `distDir` was built from the current contents of `srcDir`. */
export function builtFresh(srcDir, distDir) {
  try {
    return readFileSync(join(distDir, STAMP_FILE), 'utf8') === sourceStamp(srcDir);
  } catch {
    return false;
  }
}
