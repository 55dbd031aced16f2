import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type Env, parseEnv } from './parse-env.js';

/** Telegram's Bot API; TELEGRAM_API_URL points elsewhere (a proxy, a loopback emulator in tests). */
export const TELEGRAM_API = 'https://api.telegram.org';

export const telegramSchema = z.object({
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'must be a bot token as BotFather gives it (123456:ABC-…)').optional(),
  TELEGRAM_CHAT_ID: z.string().regex(/^-?\d+$|^@\w+$/, 'must be a numeric chat id or @channelname').optional(),
  TELEGRAM_API_URL: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL')
    .default(TELEGRAM_API),
});

export interface TelegramConfig {
  apiUrl: string;
  token: string;
  chatId: string;
}

/** Alerts also go to Telegram when both TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set; undefined otherwise. */
export function loadTelegramConfig(env: Env = process.env): TelegramConfig | undefined {
  const c = parseEnv(telegramSchema, env, ['TELEGRAM_BOT_TOKEN']);
  if (!c.TELEGRAM_BOT_TOKEN && !c.TELEGRAM_CHAT_ID) return undefined;
  if (!c.TELEGRAM_BOT_TOKEN || !c.TELEGRAM_CHAT_ID) {
    throw new ConfigError(c.TELEGRAM_BOT_TOKEN ? 'TELEGRAM_CHAT_ID' : 'TELEGRAM_BOT_TOKEN', 'must be set too (Telegram alerts need both TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID)');
  }
  return { apiUrl: c.TELEGRAM_API_URL.replace(/\/+$/, ''), token: c.TELEGRAM_BOT_TOKEN, chatId: c.TELEGRAM_CHAT_ID };
}
