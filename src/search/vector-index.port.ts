/**
 * The vector side of search, as a port: the search service calls it when an embedding endpoint
 * is configured. Vectors are keyed by (model, content hash); a chunk's `content_hash` is the
 * sha256 hex of exactly the text that is embedded (title, heading and body).
 */
export interface VectorIndex {
  readonly model: string;
  /** Embed and store every hash not yet stored for this model; returns how many were embedded. */
  embedMissing(items: AsyncIterable<{ hash: string; text: string }> | Iterable<{ hash: string; text: string }>): Promise<number>;
  /** Nearest stored hashes to the query text, best first; `within` restricts to those hashes. */
  nearest(query: string, k: number, within?: readonly string[]): Promise<{ hash: string; distance: number }[]>;
}

/** What search, /health and `kith status` say when no endpoint is configured. */
export const VECTOR_OFF = 'vector search off: no KITH_EMBEDDINGS_URL';
