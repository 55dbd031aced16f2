import { resolveOnThisHost, type ConfiguredSource } from '../sync/kith-config.js';
import { sourceDeclaration } from '../sources/registry.js';
import type { NoteRoot } from './index.service.js';

/**
 * The folders whose notes are indexed: each vault source's folder and each content source's
 * `into` (where the Drive export writes its Markdown), as this host sees them. A folder inside
 * another is indexed as part of it (see indexNotes).
 */
export function noteRoots(sources: readonly ConfiguredSource[]): NoteRoot[] {
  const roots: NoteRoot[] = [];
  for (const raw of sources) {
    const s = resolveOnThisHost(raw);
    if (s.type === 'vault') roots.push({ id: s.id, path: s.path });
    else if (sourceDeclaration(s.type).role === 'content' && typeof s.into === 'string') roots.push({ id: s.id, path: s.into });
  }
  return roots;
}
