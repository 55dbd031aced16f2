#!/usr/bin/env node
// Entry point of the `kith` command. Runs the compiled JavaScript in dist/ when it matches src/
// (`npm run build`; scripts/ensure-deps.sh keeps it current), otherwise the TypeScript sources
// through tsx's loader: same behaviour, ~1 s more start-up per process.
// KITH_FROM_SOURCE=1 always runs src/.
import { fileURLToPath } from 'node:url';
import { builtFresh } from './build-stamp.mjs';

const src = fileURLToPath(new URL('../src', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));

if (process.env.KITH_FROM_SOURCE !== '1' && builtFresh(src, dist)) {
  // dist/ carries source maps; NODE_OPTIONS=--enable-source-maps maps stack traces to src/
  // (off by default: parsing every module's map costs ~80 ms of start-up).
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
