import type { SourceParser, SourceType } from './source-event.js';

/**
 * Which module parses which source type. Loaded lazily so that a worker process serving one
 * source loads only that source's parser (and its dependencies).
 */
const LOADERS: Record<Exclude<SourceType, 'drive-export'>, () => Promise<{ parser: SourceParser }>> = {
  mbox: () => import('./mbox/index.js'),
  ics: () => import('./ics/index.js'),
  vcard: () => import('./vcard/index.js'),
  'google-contacts-csv': () => import('./google-contacts-csv/index.js'),
  linkedin: () => import('./linkedin/index.js'),
  whatsapp: () => import('./whatsapp/index.js'),
  imessage: () => import('./imessage/index.js'),
  'android-calls': () => import('./android-calls/index.js'),
  'slack-export': () => import('./slack-export/index.js'),
  vault: () => import('./vault/index.js'),
};

export async function loadParser(type: SourceType): Promise<SourceParser> {
  if (type === 'drive-export') throw new Error('drive-export is a phase 5 content sync, not a collection source');
  return (await LOADERS[type]()).parser;
}
