import { z } from 'zod';
import { FatalError } from '../../errors.js';

/**
 * The answer of `POST /embeddings` (OpenAI's shape, which Ollama's /v1, llama.cpp's server and
 * vLLM return too): `{object: 'list', data: [{object: 'embedding', index, embedding}], model, usage}`.
 * Only what Kith reads is required; servers add or leave out the rest.
 */
export const embeddingsResponse = z.looseObject({
  data: z.array(z.looseObject({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
  model: z.string().optional(),
});

/** The vectors of one request, in the order of its inputs (servers may answer `data` in any order). */
export function vectorsInInputOrder(body: unknown, inputs: number, url: string): Float32Array[] {
  const r = embeddingsResponse.safeParse(body);
  if (!r.success) {
    const problem = r.error.issues[0]!;
    throw new FatalError(`embeddings endpoint ${url}: unexpected response at ${problem.path.join('.') || 'body'}: ${problem.message}`, 'embeddings_bad_response');
  }
  const out = new Array<Float32Array | undefined>(inputs);
  for (const d of r.data.data) {
    if (d.index >= inputs || out[d.index]) throw new FatalError(`embeddings endpoint ${url}: answer has index ${d.index} twice or out of range for ${inputs} inputs`, 'embeddings_bad_response');
    out[d.index] = Float32Array.from(d.embedding);
  }
  const missing = out.findIndex((v) => !v);
  if (missing >= 0) throw new FatalError(`embeddings endpoint ${url}: answer has no vector for input ${missing} of ${inputs}`, 'embeddings_bad_response');
  const dims = out[0]!.length;
  if (!dims || out.some((v) => v!.length !== dims)) throw new FatalError(`embeddings endpoint ${url}: answer mixes vector lengths or has empty vectors`, 'embeddings_bad_response');
  return out as Float32Array[];
}
