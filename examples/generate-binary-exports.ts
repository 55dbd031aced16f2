/**
 * Writes the binary sample exports (iMessage chat.db, a .docx and an .xlsx for drive-export)
 * and the Markdown drive-export makes of them, so a fresh clone has a complete example set.
 * The output is committed; rerun after changing the cast or this script:
 *
 *   node --import tsx examples/generate-binary-exports.ts
 */
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { exportDrive } from '../src/sources/drive-export/index.js';
import { writeChatDb } from '../tests/fixtures/sources/imessage/chat-db-builder.js';
import { buildDocx } from '../tests/fixtures/sources/drive-export/docx-builder.js';

const EXPORTS = join(import.meta.dirname, 'exports');
const APPLE_EPOCH = Date.UTC(2001, 0, 1);
/** New-style (nanosecond) Apple timestamps, as macOS 10.13+ writes them. */
const at = (iso: string) => (Date.parse(iso) - APPLE_EPOCH) * 1e6;
/** Fixed source times keep the generated Markdown's `date:` lines stable across regenerations. */
const SOURCE_TIME = new Date('2026-02-03T12:00:00Z');

const ADA = '+15550101001';
const PAT = '+15550101005';
const ZOE = 'zoe.muller@example.org';
const OFFICE = '+15550107777';

function writeImessage(): void {
  const dir = join(EXPORTS, 'imessage');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'chat.db');
  rmSync(file, { force: true });
  const ada1 = `iMessage;-;${ADA}`;
  const club = 'iMessage;+;chat418027351';
  writeChatDb(file, {
    chats: [
      { guid: ada1, identifier: ADA, members: [ADA] },
      { guid: club, identifier: 'chat418027351', displayName: 'Book club', members: [ADA, PAT, ZOE] },
    ],
    messages: [
      { guid: 'C2A1B0E4-0001-4000-8000-000000000001', text: 'Are we still on for Thursday?', handle: ADA, date: at('2026-02-04T18:02:00Z'), chat: ada1 },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000002', text: 'Yes! 9am', handle: ADA, fromMe: true, date: at('2026-02-04T18:05:00Z'), chat: ada1 },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000003', text: 'Loved “Yes! 9am”', handle: ADA, date: at('2026-02-04T18:06:00Z'), associatedType: 2000, chat: ada1 },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000004', text: 'Running 5 min late', handle: ADA, date: at('2026-02-05T08:58:00Z'), dateEdited: at('2026-02-05T08:59:00Z'), chat: ada1 },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000005', text: 'Next book: The Left Hand of Darkness', handle: PAT, date: at('2026-02-07T19:00:00Z'), chat: club },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000006', text: 'Count me in', fromMe: true, date: at('2026-02-07T19:04:00Z'), chat: club },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000007', text: 'Me too 📚', handle: ZOE, date: at('2026-02-07T19:10:00Z'), chat: club },
      { guid: 'C2A1B0E4-0001-4000-8000-000000000008', text: 'Reminder: dental cleaning Tue 3pm. Reply C to confirm', handle: OFFICE, service: 'SMS', date: at('2026-02-08T14:00:00Z') },
    ],
  }).close();
}

async function writeDrive(): Promise<void> {
  const docs = join(EXPORTS, 'drive-export', 'Docs');
  const sheets = join(EXPORTS, 'drive-export', 'Sheets');
  mkdirSync(docs, { recursive: true });
  mkdirSync(sheets, { recursive: true });
  const plan = join(docs, 'Project plan.docx');
  writeFileSync(
    plan,
    buildDocx([
      { text: 'Engine project plan', heading: 1 },
      { text: 'Owner: Ada Lovelace. Reviewers: Bob Stone, Zoë Müller.', bold: true },
      { text: 'Milestones', heading: 2 },
      { text: 'February: prototype. March: design review. April: pilot with two customers.' },
    ]),
  );
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Kith examples';
  wb.created = SOURCE_TIME;
  wb.modified = SOURCE_TIME;
  const q1 = wb.addWorksheet('Q1');
  q1.addRow(['Item', 'Owner', 'Amount']);
  q1.addRow(['Prototype parts', 'Bob Stone', 1800]);
  q1.addRow(['Design review travel', 'Zoë Müller', 650]);
  q1.addRow(['Total', '', { formula: 'C2+C3', result: 2450 }]);
  const budget = join(sheets, 'Budget.xlsx');
  await wb.xlsx.writeFile(budget);
  for (const f of [plan, budget, join(docs, 'Meeting notes.html'), join(sheets, 'Reading list.csv')]) utimesSync(f, SOURCE_TIME, SOURCE_TIME);

  const result = await exportDrive({ path: join(EXPORTS, 'drive-export'), into: join(EXPORTS, 'vault', 'drive') });
  console.error(`drive-export: ${result.written} written, ${result.unchanged} unchanged, ${result.skipped.length} skipped`);
}

writeImessage();
await writeDrive();
