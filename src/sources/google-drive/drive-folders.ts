import type { DriveClient, DriveFolder } from './drive-client.js';
import { safeSegment } from './drive-document.js';

/** Deepest folder chain followed (a cycle or a pathological tree stops there). */
const MAX_DEPTH = 64;

/** Where a file sits: its folders' names from My Drive down, and every folder id above it. */
export interface FilePlace {
  segments: string[];
  ancestors: Set<string>;
}

/**
 * Folder paths from My Drive's root, as Takeout lays Drive out: a file in `Docs/Plans` is
 * written to `<into>/Docs/Plans/`. Folders are looked up once per run (`files.get`); a parent
 * the account cannot see (a file or folder shared with it) ends the path there.
 */
export class FolderPaths {
  private readonly cache = new Map<string, DriveFolder | null>();
  private root: string | undefined;

  constructor(private readonly client: DriveClient) {}

  private async get(id: string): Promise<DriveFolder | null> {
    if (!this.cache.has(id)) this.cache.set(id, (await this.client.folder(id)) ?? null);
    return this.cache.get(id)!;
  }

  /** A folder changed (renamed, moved): look it up again when next needed. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  async placeOf(parents: readonly string[] | null | undefined): Promise<FilePlace> {
    this.root ??= (await this.get('root'))?.id ?? 'root';
    const segments: string[] = [];
    const ancestors = new Set<string>();
    let next = parents?.[0];
    while (next && next !== this.root && next !== 'root' && !ancestors.has(next) && ancestors.size < MAX_DEPTH) {
      ancestors.add(next);
      const f = await this.get(next);
      if (!f) break;
      segments.unshift(safeSegment(f.name));
      next = f.parents[0]; // none: a folder shared with the account, whose parents it cannot see
    }
    return { segments, ancestors };
  }
}
