import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { headerIndex, parseCsvRecord, readCsvRows } from '../common/csv-rows.js';
import { readLines } from '../common/line-reader.js';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import { connectionToContact } from './connection.mapper.js';
import { messageToInteraction } from './message.mapper.js';

/** How far into Connections.csv the header may be (after LinkedIn's "Notes:" preamble). */
const MAX_PREAMBLE_LINES = 50;

/** Line number of the first line whose CSV fields include every `required` column. */
async function findHeader(file: string, required: string[]): Promise<number> {
  for await (const l of readLines(file)) {
    if (l.line > MAX_PREAMBLE_LINES) break;
    const r = parseCsvRecord(l.text.replace(/^\ufeff/, ''));
    if (!('fields' in r)) continue;
    const at = headerIndex(r.fields);
    if (required.every((c) => at(c) >= 0)) return l.line;
  }
  throw new InvalidInputError(`no header with columns ${required.join(', ')} in the first ${MAX_PREAMBLE_LINES} lines: ${file}`, 'bad_header');
}

/** Rows of a CSV as column lookups, from its header line on; bad records pass through. */
async function* rows(file: string, required: string[]): AsyncGenerator<{ line: number; get: (c: string) => string } | { line: number; bad: string }> {
  const from = await findHeader(file, required);
  let at: ((c: string) => number) | undefined;
  for await (const item of readCsvRows(file, { fromLine: from })) {
    if (item.kind === 'bad') {
      yield { line: item.line, bad: item.reason };
      continue;
    }
    if (!at) {
      at = headerIndex(item.fields);
      continue;
    }
    const fields = item.fields;
    const idx = at;
    yield { line: item.line, get: (c) => (idx(c) >= 0 ? (fields[idx(c)] ?? '') : '') };
  }
}

/**
 * A LinkedIn "Get a copy of your data" folder: Connections.csv → ContactEvents (handle =
 * profile URL, Connected On as timestamp), messages.csv → InteractionEvents. Either file may be
 * missing (the export lets people pick), but not both.
 */
async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
  await checkSourcePath(path, ['directory']);
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  const find = (want: string) => names.find((n) => n.toLowerCase() === want);
  const connections = find('connections.csv');
  const messages = find('messages.csv');
  if (!connections && !messages) throw new InvalidInputError(`no Connections.csv or messages.csv in the LinkedIn export folder: ${path}`, 'empty_export');

  if (connections) {
    const file = join(path, connections);
    for await (const r of rows(file, ['First Name', 'Last Name', 'URL'])) {
      if ('bad' in r) {
        yield { kind: 'skipped', file, line: r.line, reason: r.bad };
        continue;
      }
      const ev = connectionToContact({
        first: r.get('First Name'),
        last: r.get('Last Name'),
        url: r.get('URL'),
        email: r.get('Email Address'),
        company: r.get('Company'),
        position: r.get('Position'),
        connectedOn: r.get('Connected On'),
      });
      yield typeof ev === 'string' ? { kind: 'skipped', file, line: r.line, reason: ev } : ev;
    }
  }

  if (messages) {
    const file = join(path, messages);
    for await (const r of rows(file, ['CONVERSATION ID', 'FROM', 'DATE', 'CONTENT'])) {
      if ('bad' in r) {
        yield { kind: 'skipped', file, line: r.line, reason: r.bad };
        continue;
      }
      const ev = messageToInteraction({
        conversationId: r.get('CONVERSATION ID'),
        conversationTitle: r.get('CONVERSATION TITLE'),
        from: r.get('FROM'),
        senderUrl: r.get('SENDER PROFILE URL'),
        to: r.get('TO'),
        recipientUrls: r.get('RECIPIENT PROFILE URLS'),
        date: r.get('DATE'),
        subject: r.get('SUBJECT'),
        content: r.get('CONTENT'),
        draft: r.get('IS MESSAGE DRAFT'),
      });
      if (ev === null) continue;
      yield typeof ev === 'string' ? { kind: 'skipped', file, line: r.line, reason: ev } : ev;
    }
  }
}

export const parser: SourceParser = { type: 'linkedin', parse };
