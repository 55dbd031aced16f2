import { join } from 'node:path';
import { z } from 'zod';
import { readAccountFile, writeAccountFile } from '../account-file.js';

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
  return readAccountFile(googleAccountFile(dataDir), storedGoogleAccount, 'kith auth google');
}

export function writeGoogleAccount(dataDir: string, account: StoredGoogleAccount): string {
  return writeAccountFile(googleAccountFile(dataDir), account);
}
