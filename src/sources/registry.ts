import { source as androidCalls } from './android-calls/index.js';
import { source as driveExport } from './drive-export/index.js';
import { source as gmail } from './gmail/index.js';
import { source as googleCalendar } from './google-calendar/index.js';
import { source as googleContacts } from './google-contacts/index.js';
import { source as googleContactsCsv } from './google-contacts-csv/index.js';
import { source as googleDrive } from './google-drive/index.js';
import { source as ics } from './ics/index.js';
import { source as imessage } from './imessage/index.js';
import { source as linkedin } from './linkedin/index.js';
import { source as mbox } from './mbox/index.js';
import { source as slackExport } from './slack-export/index.js';
import { source as slack } from './slack/index.js';
import { source as vault } from './vault/index.js';
import { source as vcard } from './vcard/index.js';
import { source as whatsapp } from './whatsapp/index.js';
import type { CollectionSourceDeclaration, ContentSourceDeclaration, SourceDeclaration } from './source-declaration.js';
import type { InteractionSourceType, SourceParser } from './source-event.js';

/**
 * Every source Kith reads, each declared once in its own folder. Adding a source is a folder
 * with an `index.ts` declaration and a line here; the config schema, the queues, the sync DAG
 * and the entity mapping all follow from this list. Order: the order `kith` lists them in.
 */
export const SOURCES = [mbox, ics, vcard, googleContactsCsv, linkedin, whatsapp, imessage, androidCalls, slackExport, vault, driveExport, gmail, googleCalendar, googleContacts, googleDrive, slack] as const;

/** A configured source's `type`. */
export type SourceType = (typeof SOURCES)[number]['type'];
/** Types of the sources collected in phase 1 (parsed into people and interactions). */
export type CollectionSourceType = Extract<(typeof SOURCES)[number], { role: 'collection' }>['type'];

export const SOURCE_TYPES = SOURCES.map((s) => s.type) as [SourceType, ...SourceType[]];

const BY_TYPE: ReadonlyMap<string, SourceDeclaration> = new Map(SOURCES.map((s) => [s.type, s]));

export function isSourceType(v: unknown): v is SourceType {
  return typeof v === 'string' && BY_TYPE.has(v);
}

export function sourceDeclaration(type: string): SourceDeclaration {
  const d = BY_TYPE.get(type);
  if (!d) throw new Error(`unknown source type '${type}'; known: ${SOURCE_TYPES.join(', ')}`);
  return d;
}

/** Phase 1 sources, in declaration order. */
export const COLLECTION_SOURCES: readonly CollectionSourceDeclaration<CollectionSourceType>[] = SOURCES.filter(
  (s): s is Extract<(typeof SOURCES)[number], { role: 'collection' }> => s.role === 'collection',
);

export function collectionSource(type: string): CollectionSourceDeclaration {
  const d = sourceDeclaration(type);
  if (d.role !== 'collection') throw new Error(`${type} is a phase 5 content sync, not a collection source`);
  return d;
}

export function contentSource(type: string): ContentSourceDeclaration {
  const d = sourceDeclaration(type);
  if (d.role !== 'content') throw new Error(`${type} is a collection source, not a content sync`);
  return d;
}

/** The parser of a collection source, loaded on first use (only that source's modules). */
export async function loadParser(type: string): Promise<SourceParser> {
  return collectionSource(type).parser();
}

/** Whether a configured source's contacts are an address book (collected first in phase 1). */
export function isAddressBook(type: string): boolean {
  return sourceDeclaration(type).people === 'address-book';
}

/** Interaction source types a configured source's events carry (empty for an unknown type). */
export function interactionTypesOf(type: string): readonly InteractionSourceType[] {
  return BY_TYPE.get(type)?.interactions ?? [];
}
