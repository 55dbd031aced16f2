import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKith } from '../../support/cli.js';
import { cleanupRedis, redisClientsNamed, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Skipped {
  file: string;
  line?: number;
  offset?: number;
  reason: string;
}
interface Step {
  id: string;
  status: string;
  records: number;
  error?: string;
  skipped?: number;
  skippedSample?: Skipped[];
}
interface Report {
  status: string;
  steps: Step[];
}
interface SourceStatus {
  source: string;
  lastError: string | null;
  records: number;
  skipped: number;
  skippedSample: Skipped[];
}

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/sources');

/**
 * Bad input is shown where a person looks: a file that is not its source's format fails its
 * step with a message naming it; malformed records that were skipped are counted, with the
 * first few, in `kith sync`'s summary (text and JSON) and in `kith status` (text and JSON).
 */
describe('bad input in kith sync and kith status', () => {
  let dir = '';
  let prefix = '';
  let env: Record<string, string> = {};
  let mbox = '';
  let ics = '';
  let binary = '';
  let report: Report;
  let text = { code: null as number | null, stdout: '', stderr: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-bad-input-'));
    mbox = join(dir, 'nasty.mbox');
    ics = join(dir, 'nasty.ics');
    binary = join(dir, 'photo.ics');
    copyFileSync(join(FIXTURES, 'mbox/nasty.mbox'), mbox);
    copyFileSync(join(FIXTURES, 'ics/nasty.ics'), ics);
    // A photo given as a calendar: a JPEG header, NUL bytes and noise.
    writeFileSync(binary, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256))]));
    writeFileSync(
      join(dir, 'kith.config.yaml'),
      [
        'self: { emails: [me@example.com] }',
        'sources:',
        `  - { type: mbox, id: mail, path: ${JSON.stringify(mbox)} }`,
        `  - { type: ics, id: calendar, path: ${JSON.stringify(ics)} }`,
        `  - { type: ics, id: photo, path: ${JSON.stringify(binary)} }`,
        '',
      ].join('\n'),
    );
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
    const r = await runKith(['sync', '--json'], env, 120_000);
    expect(r.stderr).not.toMatch(/Error:|at .*\.ts:\d+/);
    expect(r.code).toBe(2); // partial: the photo failed, the run went on
    report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
    // Read again from the start (the mailbox's cursor would skip what was read): the same skips.
    text = await runKith(['sync', '--full'], env, 120_000);
  }, 300_000);

  afterAll(async () => {
    expect(await redisClientsNamed(prefix)).toEqual([]);
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a binary file given as .ics fails its step, naming the file and what it holds', () => {
    const photo = report.steps.find((s) => s.id === 'collect:photo')!;
    expect(photo.status).toBe('failed');
    expect(photo.error).toBe(`${binary} is not an iCalendar (.ics) file (no BEGIN:VCALENDAR line at its start; found binary content)`);
    expect(report.steps.find((s) => s.id === 'collect:calendar')?.status).toBe('succeeded');
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(`collect:photo: failed: ${binary} is not an iCalendar (.ics) file`);
  });

  it('kith sync --json gives each collection step its skipped count and first records', () => {
    const mail = report.steps.find((s) => s.id === 'collect:mail')!;
    expect(mail.skipped).toBe(2);
    expect(mail.skippedSample).toEqual([
      { file: mbox, line: 44, reason: 'unparsable Date header "sometime next week"' },
      { file: mbox, line: 58, reason: 'malformed header line "this line is not a header"' },
    ]);
    const cal = report.steps.find((s) => s.id === 'collect:calendar')!;
    expect(cal.skipped).toBe(2);
    expect(cal.skippedSample).toEqual([
      { file: ics, line: 99, reason: 'VEVENT without DTSTART' },
      { file: ics, line: 124, reason: 'VEVENT without END' },
    ]);
    // Steps that skip nothing say nothing.
    expect(report.steps.find((s) => s.id === 'link-entities')).not.toHaveProperty('skipped');
  });

  it("kith sync's text summary lists the skipped records under each step", () => {
    expect(text.stdout).toContain(
      ['  collect:mail: 2 malformed records skipped:', `      ${mbox} line 44: unparsable Date header "sometime next week"`, `      ${mbox} line 58: malformed header line "this line is not a header"`].join('\n'),
    );
    expect(text.stdout).toContain(['  collect:calendar: 2 malformed records skipped:', `      ${ics} line 99: VEVENT without DTSTART`, `      ${ics} line 124: VEVENT without END`].join('\n'));
    // The progress line of the step says how many.
    expect(text.stderr).toMatch(/collect:mail\s+succeeded [\d.]+s(?: \d+ records)?, 2 skipped/);
  });

  it('kith status keeps them per source (JSON: a field; text: lines under the source)', async () => {
    const json = await runKith(['status', '--json'], env);
    expect(json.code).toBe(0);
    const { sources } = JSON.parse(json.stdout) as { sources: SourceStatus[] };
    const mail = sources.find((s) => s.source === 'mail')!;
    expect(mail.skipped).toBe(2);
    expect(mail.skippedSample).toEqual([
      { file: mbox, line: 44, reason: 'unparsable Date header "sometime next week"' },
      { file: mbox, line: 58, reason: 'malformed header line "this line is not a header"' },
    ]);
    expect(sources.find((s) => s.source === 'calendar')?.skipped).toBe(2);
    const photo = sources.find((s) => s.source === 'photo')!;
    expect(photo.lastError).toContain(`${binary} is not an iCalendar (.ics) file`);
    expect(photo.skipped).toBe(0);
    expect(photo.skippedSample).toEqual([]);

    const plain = await runKith(['status'], env);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('mail '));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '  2 malformed records skipped:',
      `    ${mbox} line 44: unparsable Date header "sometime next week"`,
      `    ${mbox} line 58: malformed header line "this line is not a header"`,
    ]);
  });

  it('a later collection that skips nothing clears them', async () => {
    writeFileSync(mbox, 'From ada@example.com Mon Jan  1 10:00:00 2024\nFrom: ada@example.com\nTo: me@example.com\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <clean@x>\nSubject: hi\n\nhello\n');
    const r = await runKith(['sync', '--json', '--only', 'mail', '--full'], env, 120_000);
    const step = (JSON.parse(r.stdout.trim().split('\n').pop()!) as Report).steps.find((s) => s.id === 'collect:mail')!;
    expect(step.status).toBe('succeeded');
    expect(step).not.toHaveProperty('skipped');
    const { sources } = JSON.parse((await runKith(['status', '--json'], env)).stdout) as { sources: SourceStatus[] };
    expect(sources.find((s) => s.source === 'mail')).toMatchObject({ skipped: 0, skippedSample: [] });
  }, 150_000);
});
