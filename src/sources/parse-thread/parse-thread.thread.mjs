// Entry of the parse thread. Worker threads do not inherit the TypeScript loader that
// bin/kith.mjs registers on the main thread, so when running from source it is registered here.
import { existsSync } from 'node:fs';

const source = new URL('./parse-thread.thread.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('./parse-thread.thread.js');
}
