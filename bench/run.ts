/**
 * `npm run bench -- <name> [flags]`: runs bench/<name>.bench.ts. Every benchmark reports
 * progress on stderr and prints one JSON object as its last line on stdout.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.METADATA_SERVER_DETECTION ??= 'none';
const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length));
const [name, ...args] = process.argv.slice(2);

if (!name || name === '--help' || name === '-h' || !names.includes(name)) {
  console.error(`usage: npm run bench -- <name> [flags]   (names: ${names.join(', ') || 'none yet'})`);
  console.error('each benchmark takes --help for its own flags');
  process.exit(name && !['--help', '-h'].includes(name) ? 1 : 0);
}
const mod = (await import(`./${name}.bench.ts`)) as { main(args: string[]): Promise<void> };
await mod.main(args);
