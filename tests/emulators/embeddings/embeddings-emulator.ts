import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../emulator-faults.js';
import { textVector } from './text-vector.js';

/**
 * Loopback OpenAI-compatible embeddings server for tests: `POST {base}/embeddings` with
 * `{model, input: string | string[], encoding_format?, dimensions?}` answers
 * `{object: 'list', data: [{object: 'embedding', index, embedding}], model, usage}` with
 * deterministic vectors from the text (text-vector.ts). Unknown models get OpenAI's 404
 * `model_not_found`; a wrong key 401; faults (429 with Retry-After, 5xx, resets) are injected.
 * It counts requests and inputs, and can answer `data` in reverse order to prove the client
 * orders by `index`.
 */
export interface EmbeddingsEmulatorOptions {
  /** Models it serves (default: ['kith-test-embed']). */
  models?: string[];
  /** Vector length (default 384); a request's `dimensions` shortens it. */
  dims?: number;
  /** Bearer key it demands; unset = no auth, as Ollama and llama.cpp by default. */
  apiKey?: string;
  /** Path prefix of the API (default '/v1'). */
  basePath?: string;
  /** Largest `input` array accepted (default 2048, as OpenAI). */
  maxInputs?: number;
}

export interface EmbeddingsEmulatorStats {
  requests: number;
  /** Inputs embedded by answered requests. */
  inputs: number;
  /** Every input text embedded, in order (for assertions on what was sent). */
  texts: string[];
  /** Size of each answered request's input array. */
  batchSizes: number[];
}

export type EmbeddingsEmulator = Awaited<ReturnType<typeof startEmbeddingsEmulator>>;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const openAiError = (message: string, type: string, code: string | null) => ({ error: { message, type, param: null, code } });

export async function startEmbeddingsEmulator(opts: EmbeddingsEmulatorOptions = {}) {
  const models = new Set(opts.models ?? ['kith-test-embed']);
  const dims = opts.dims ?? 384;
  const base = (opts.basePath ?? '/v1').replace(/\/+$/, '');
  const maxInputs = opts.maxInputs ?? 2048;
  const faults = new FaultList();
  const stats: EmbeddingsEmulatorStats = { requests: 0, inputs: 0, texts: [], batchSizes: [] };
  let reverseOrder = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fault = faults.take(req.method ?? 'GET', pathname);
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault) return send(res, fault.status ?? 500, fault.body ?? openAiError('injected failure', 'server_error', null), fault.headers);
    if (req.method !== 'POST' || pathname !== `${base}/embeddings`) return send(res, 404, openAiError(`Invalid URL (${req.method} ${pathname})`, 'invalid_request_error', null));
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, openAiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    let body: { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    }
    if (typeof body.model !== 'string' || !models.has(body.model)) {
      return send(res, 404, openAiError(`The model '${String(body.model)}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
    }
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || !input.length || input.some((x) => typeof x !== 'string')) {
      return send(res, 400, openAiError("'input' must be a non-empty string or array of strings", 'invalid_request_error', null));
    }
    if (input.length > maxInputs) return send(res, 400, openAiError(`'input' has ${input.length} items, at most ${maxInputs} allowed`, 'invalid_request_error', null));
    if (body.encoding_format !== undefined && body.encoding_format !== 'float') {
      return send(res, 400, openAiError("this server answers encoding_format 'float' only", 'invalid_request_error', null));
    }
    const size = body.dimensions === undefined ? dims : Number(body.dimensions);
    if (!Number.isInteger(size) || size < 1 || size > dims) return send(res, 400, openAiError(`'dimensions' must be from 1 to ${dims}`, 'invalid_request_error', null));
    stats.inputs += input.length;
    stats.texts.push(...(input as string[]));
    stats.batchSizes.push(input.length);
    const data = (input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: textVector(text, size) }));
    if (reverseOrder) data.reverse();
    const tokens = (input as string[]).reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
    send(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, openAiError(String(err), 'server_error', null)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    /** The API base to give as KITH_EMBEDDINGS_URL. */
    url: `http://127.0.0.1:${port}${base}`,
    stats,
    dims,
    /** The next matching request(s) get this fault (e.g. `{status: 429, headers: {'retry-after': '1'}}`). */
    fault(f: EmulatorFault): void {
      faults.add({ path: `${base}/embeddings`, ...f });
    },
    addModel(name: string): void {
      models.add(name);
    },
    /** Answer `data` last input first (the client must order by `index`). */
    answerInReverse(on = true): void {
      reverseOrder = on;
    },
    resetStats(): void {
      Object.assign(stats, { requests: 0, inputs: 0, texts: [], batchSizes: [] });
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
