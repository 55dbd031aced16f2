import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatedConversation, EmulatedMessage, EmulatedUser, SlackEmulator } from '../emulators/slack/slack-emulator.js';

const LISTS: { file: string; kind: EmulatedConversation['kind']; folderBy: 'name' | 'id' }[] = [
  { file: 'channels.json', kind: 'public_channel', folderBy: 'name' },
  { file: 'groups.json', kind: 'private_channel', folderBy: 'name' },
  { file: 'dms.json', kind: 'im', folderBy: 'id' },
  { file: 'mpims.json', kind: 'mpim', folderBy: 'name' },
];

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * Put a Slack export into the Slack emulator as the workspace holds it: users.json as members,
 * each conversation list with its members, and every day file's messages (thread replies
 * included: history shows their parents, replies the threads). Returns the messages loaded.
 */
export function loadExportIntoSlack(em: SlackEmulator, dir: string): number {
  em.addUser(...readJson<EmulatedUser[]>(join(dir, 'users.json')));
  let n = 0;
  for (const l of LISTS) {
    const file = join(dir, l.file);
    if (!existsSync(file)) continue;
    for (const c of readJson<{ id: string; name?: string; members?: string[] }[]>(file)) {
      const folder = join(dir, l.folderBy === 'id' ? c.id : (c.name ?? c.id));
      const messages: EmulatedMessage[] = [];
      if (existsSync(folder)) for (const day of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) messages.push(...readJson<EmulatedMessage[]>(join(folder, day)));
      em.addConversation({ id: c.id, ...(c.name ? { name: c.name } : {}), kind: l.kind, members: c.members ?? [], messages });
      n += messages.length;
    }
  }
  return n;
}
