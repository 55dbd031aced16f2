import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { checkSourcePath } from '../common/source-path.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { mapCall } from './call.mapper.js';
import { mapMms, mapSms } from './sms.mapper.js';
import { readXmlRecords } from './xml-records.js';

/**
 * SMS Backup & Restore exports: `calls-*.xml` (→ 'phone' interactions) and `sms-*.xml`
 * (→ 'sms'). The path is one such file, or a folder whose `*.xml` backups are all read (the
 * app writes one file per backup; overlapping backups repeat items with the same externalIds,
 * which the importer stores once). No cursor: each backup is a full snapshot.
 */
export const parser: SourceParser = {
  type: 'android-calls',
  parse,
};

async function* parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
  const kind = await checkSourcePath(path, ['file', 'directory']);
  const files = kind === 'file' ? [path] : (await readdir(path)).filter((f) => /\.xml$/i.test(f) && !f.startsWith('.')).sort().map((f) => join(path, f));
  for (const file of files) yield* parseFile(file, kind === 'file');
}

async function* parseFile(file: string, explicit: boolean): AsyncGenerator<SourceEvent> {
  let root: string | undefined;
  for await (const item of readXmlRecords(file)) {
    if (item.kind === 'root') {
      root = item.name;
      if (root !== 'calls' && root !== 'smses') {
        // A stray XML file in a backup folder is not ours to judge; a configured file is.
        if (explicit) throw new InvalidInputError(`not an SMS Backup & Restore file (root <${root}>, expected <calls> or <smses>): ${file}`, 'format');
        return;
      }
    } else if (item.kind === 'error') {
      yield { kind: 'skipped', file, line: item.line, reason: `malformed XML: ${item.message}` };
    } else {
      const rec = item.record;
      const event = rec.name === 'call' ? mapCall(rec, file) : rec.name === 'sms' ? mapSms(rec, file) : rec.name === 'mms' ? mapMms(rec, file) : null;
      if (event) yield event;
    }
  }
  if (root === undefined && explicit) throw new InvalidInputError(`not an SMS Backup & Restore file (no XML root element): ${file}`, 'format');
}
