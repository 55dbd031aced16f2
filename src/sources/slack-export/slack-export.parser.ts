import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import type { ParseInput, SkippedRecord, SourceEvent, SourceParser } from '../source-event.js';
import { isPerson, mapMessage, userToContact, type Conversation, type SlackMessage, type SlackUser } from './slack.mapper.js';

/** Conversation lists of a Slack export and how their day-file folders are named. */
const LISTS: { file: string; kind: Conversation['kind']; folderBy: 'name' | 'id' }[] = [
  { file: 'channels.json', kind: 'channel', folderBy: 'name' },
  { file: 'groups.json', kind: 'private', folderBy: 'name' },
  { file: 'dms.json', kind: 'dm', folderBy: 'id' },
  { file: 'mpims.json', kind: 'group-dm', folderBy: 'name' },
];
const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;

/**
 * A Slack workspace export (Settings → Import/Export): users.json → contacts; every
 * `<channel>/<YYYY-MM-DD>.json` → interactions. Day files are small and read one at a time;
 * users.json and the conversation lists are read whole (one entry per member / channel).
 * A malformed file is skipped and reported by name; the rest of the export is imported.
 * No cursor: an export is a full snapshot and ids are stable (`<channel>:<ts>`).
 */
export const parser: SourceParser = {
  type: 'slack-export',
  parse,
};

async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
  await checkSourcePath(path, ['directory']);
  const entries = new Set(await readdir(path));
  if (!entries.has('users.json') && !entries.has('channels.json')) {
    throw new InvalidInputError(`not a Slack export (no users.json or channels.json): ${path}`, 'format');
  }

  const users = new Map<string, SlackUser>();
  if (entries.has('users.json')) {
    const list = await readJsonArray(join(path, 'users.json'));
    if ('skipped' in list) yield list.skipped;
    else {
      for (const [i, u] of (list.items as SlackUser[]).entries()) {
        if (!u || typeof u !== 'object' || typeof u.id !== 'string') {
          yield { kind: 'skipped', file: join(path, 'users.json'), reason: `user ${i + 1}: no id` };
          continue;
        }
        users.set(u.id, u);
        if (isPerson(u)) yield userToContact(u);
      }
    }
  }

  const conversations: Conversation[] = [];
  for (const l of LISTS) {
    if (!entries.has(l.file)) continue;
    const list = await readJsonArray(join(path, l.file));
    if ('skipped' in list) {
      yield list.skipped;
      continue;
    }
    for (const c of list.items as { id?: string; name?: string; members?: string[] }[]) {
      if (!c?.id) continue;
      const folder = l.folderBy === 'id' ? c.id : (c.name ?? c.id);
      conversations.push({ id: c.id, folder, kind: l.kind, name: c.name, members: Array.isArray(c.members) ? c.members : [] });
    }
  }
  // Folders the lists do not mention (partial exports) are still read, keyed by folder name.
  const known = new Set(conversations.map((c) => c.folder));
  for (const e of [...entries].sort()) {
    if (!known.has(e) && !e.includes('.')) conversations.push({ id: e, folder: e, kind: 'channel', name: e, members: [] });
  }

  for (const conv of conversations) {
    const dir = join(path, conv.folder);
    let days: string[];
    try {
      days = (await readdir(dir)).filter((f) => DAY_FILE.test(f)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue; // channel without messages
      throw unreadable(dir, err);
    }
    for (const day of days) {
      const file = join(dir, day);
      const read = await readJsonArray(file);
      if ('skipped' in read) {
        yield read.skipped;
        continue;
      }
      for (const [i, m] of read.items.entries()) {
        if (!m || typeof m !== 'object') {
          yield { kind: 'skipped', file, reason: `message ${i + 1}: not an object` };
          continue;
        }
        const event = mapMessage(m as SlackMessage, i, conv, users, file);
        if (event) yield event;
      }
    }
  }
}

async function readJsonArray(file: string): Promise<{ items: unknown[] } | { skipped: SkippedRecord }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const skipped: SkippedRecord = { kind: 'skipped', file, reason: `malformed JSON: ${msg}` };
    if (pos) {
      const offset = Number(pos[1]);
      skipped.offset = offset;
      skipped.line = text.slice(0, offset).split('\n').length;
    }
    return { skipped };
  }
  if (!Array.isArray(value)) return { skipped: { kind: 'skipped', file, reason: 'expected a JSON array' } };
  return { items: value };
}
