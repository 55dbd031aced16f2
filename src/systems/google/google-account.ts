import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error.js';

/** The read-only scopes `kith auth google` asks for (Contacts: `contacts`, for the contact hub's writes). */
export const GOOGLE_READ_SCOPES = [
  'https://www.googleapis.com/auth/gmail.readonly',
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/contacts',
  'https://www.googleapis.com/auth/drive.readonly',
] as const;

/** Google's token endpoint (a stored account may name another: a proxy, or a loopback emulator in tests). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';

const oauthAccount = z.object({
  kind: z.literal('oauth'),
  email: z.string().optional(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  refresh_token: z.string().min(1),
  scopes: z.array(z.string()),
  token_url: z.string().url().optional(),
  created_at: z.string().optional(),
});

const serviceAccount = z.object({
  kind: z.literal('service_account'),
  email: z.string().optional(),
  key_file: z.string().min(1),
  subject: z.string().min(1),
  scopes: z.array(z.string()),
  token_url: z.string().url().optional(),
  created_at: z.string().optional(),
});

export const storedGoogleAccount = z.discriminatedUnion('kind', [oauthAccount, serviceAccount]);
export type StoredGoogleAccount = z.infer<typeof storedGoogleAccount>;

/** Where `kith auth google` keeps the account: the data directory, readable by its owner alone. */
export const googleAccountFile = (dataDir: string) => join(dataDir, 'google-account.json');

export function readGoogleAccount(dataDir: string): StoredGoogleAccount | undefined {
  const file = googleAccountFile(dataDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `is not valid JSON (${(err as Error).message}); run \`kith auth google\` again`);
  }
  const r = storedGoogleAccount.safeParse(raw);
  if (!r.success) throw new ConfigError(`${file}: ${r.error.issues[0]!.path.join('.') || 'account'}`, `${r.error.issues[0]!.message}; run \`kith auth google\` again`);
  return r.data;
}

/** Write the account with mode 0600 (created so, then renamed over the old one). */
export function writeGoogleAccount(dataDir: string, account: StoredGoogleAccount): string {
  const file = googleAccountFile(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(account, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
