// The job HTTP API on node:http: submit, list, follow (SSE), cancel and approve jobs; list models;
// record feedback. Bearer-token auth, JSON bodies validated with zod, byte-limited reads.

import { realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type FeedbackStore, openFeedbackStore } from '@ft/data';
import { createRegistry, type Registry, RegistryError } from '@ft/registry';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { createJobRunner, type JobRunner } from '../jobs/runner.js';
import { createJobStore, type JobStore } from '../jobs/store.js';
import {
  checkBearer,
  HttpError,
  isLoopbackHost,
  readJsonBody,
  sendError,
  sendJson,
  statusForPipelineError,
} from './http-utils.js';
import { argmaxRows, createPredictor, evaluateSchema, predictSchema } from './predict.js';
import { streamJobEvents } from './sse.js';

export interface ServerOptions {
  /** The ft home folder: `jobs/`, `runs/`, `registry/` and `feedback/` live in it. */
  home: string;
  /** Address to listen on; any non-loopback address requires `token`. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (see `url` on the result). @default 0 */
  port?: number;
  /** Bearer token every request must carry. Required when `host` is not a loopback address. */
  token?: string;
  /** Largest request body accepted; larger ones get 413 and are not read further. @default 1048576 */
  maxBodyBytes?: number;
  /** Folders pipeline files may be submitted from (relative paths resolve against the first). @default [home] */
  pipelinesDirs?: string[];
  /** Module exporting `steps` that job processes use instead of the built-in steps (tests). */
  registryModule?: string;
  /** SIGTERM → SIGKILL grace for cancelled jobs. @default 5000 */
  killGraceMs?: number;
  /** How often SSE streams check for new events. @default 100 */
  eventPollMs?: number;
  /** Jobs running at once; later ones wait as `queued`. @default 2 */
  maxConcurrentJobs?: number;
}

export interface FtServer {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly port: number;
  readonly store: JobStore;
  readonly runner: JobRunner;
  /** Stops accepting requests, cancels running jobs and closes the stores. */
  close(): Promise<void>;
}

const envSchema = z.record(z.string(), z.string());
const submitSchema = z.strictObject({
  pipeline: z.string().min(1),
  env: envSchema.optional(),
});
const decisionSchema = z.strictObject({
  by: z.string().min(1).optional(),
  comment: z.string().optional(),
});
const feedbackSchema = z.union([
  z.strictObject({
    kind: z.literal('prediction').optional(),
    input: z.unknown().refine((value) => value !== undefined, 'input is required'),
    modelVersion: z.string().min(1),
    prediction: z.unknown().refine((value) => value !== undefined, 'prediction is required'),
    label: z.unknown().optional(),
    id: z.string().min(1).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    kind: z.literal('correction'),
    id: z.string().min(1),
    correction: z.unknown().refine((value) => value !== undefined, 'correction is required'),
    by: z.string().min(1).optional(),
  }),
]);

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;
interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

/** Starts the HTTP API; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<FtServer> {
  const {
    home,
    host = '127.0.0.1',
    port = 0,
    token,
    maxBodyBytes = 1024 * 1024,
    pipelinesDirs = [home],
    registryModule,
    killGraceMs = 5000,
    eventPollMs = 100,
    maxConcurrentJobs = 2,
  } = options;
  if (!isLoopbackHost(host) && (token === undefined || token === '')) {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      `listening on ${host} exposes the API to the network: set a token (--token or FT_TOKEN), or use 127.0.0.1.`,
      { field: 'token' },
    );
  }
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new PipelineError('INVALID_ARGUMENT', 'maxBodyBytes must be a positive whole number.', {
      field: 'maxBodyBytes',
    });
  }
  const store = createJobStore({ home });
  await store.recover();
  const runner = createJobRunner({
    store,
    killGraceMs,
    maxConcurrentJobs,
    ...(registryModule !== undefined ? { registryModule } : {}),
  });
  await runner.startQueued();
  const allowedDirs = await Promise.all(
    pipelinesDirs.map(async (dir) => realpath(resolve(dir)).catch(() => resolve(dir))),
  );
  let registry: Registry | undefined;
  const getRegistry = async (): Promise<Registry> => {
    registry ??= await createRegistry({ root: join(home, 'registry') });
    return registry;
  };
  const predictor = createPredictor(getRegistry);
  let feedback: Promise<FeedbackStore> | undefined;
  const getFeedback = (): Promise<FeedbackStore> => {
    feedback ??= openFeedbackStore({ path: join(home, 'feedback', 'feedback.jsonl') });
    return feedback;
  };

  /** The pipeline file, resolved and checked to lie inside an allowed folder (symlinks followed). */
  async function allowedPipeline(path: string): Promise<string> {
    const base = allowedDirs[0] ?? resolve(home);
    const absolute = isAbsolute(path) ? path : resolve(base, path);
    let real: string;
    try {
      real = await realpath(absolute);
    } catch {
      throw new HttpError(404, 'NOT_FOUND', `pipeline: no file at ${absolute}.`, 'pipeline');
    }
    const inside = allowedDirs.some((dir) => {
      const rel = relative(dir, real);
      return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
    });
    if (!inside) {
      throw new HttpError(
        403,
        'FORBIDDEN',
        `pipeline: ${absolute} is outside the allowed pipeline folders (${allowedDirs.join(', ')}); move it there or start the server with that folder allowed.`,
        'pipeline',
      );
    }
    return real;
  }

  const routes: Route[] = [
    {
      pattern: /^\/v1\/jobs$/,
      methods: {
        GET: async (_req, res) => sendJson(res, 200, { jobs: await store.list() }),
        POST: async (req, res) => {
          const body = await readJsonBody(req, submitSchema, maxBodyBytes);
          const pipelinePath = await allowedPipeline(body.pipeline);
          const job = await runner.submit({
            pipelinePath,
            ...(body.env !== undefined ? { env: body.env } : {}),
          });
          sendJson(res, 201, { job }, { location: `/v1/jobs/${job.id}` });
        },
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)$/,
      methods: {
        GET: async (_req, res, [id]) => sendJson(res, 200, { job: await store.get(id ?? '') }),
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)\/events$/,
      methods: {
        GET: async (req, res, [id]) => {
          const last = Number(req.headers['last-event-id'] ?? 0);
          await streamJobEvents(res, store, id ?? '', {
            pollMs: eventPollMs,
            after: Number.isSafeInteger(last) && last > 0 ? last : 0,
          });
        },
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)\/cancel$/,
      methods: {
        POST: async (_req, res, [id]) => sendJson(res, 200, { job: await runner.cancel(id ?? '') }),
      },
    },
    {
      pattern: /^\/v1\/jobs\/([^/]+)\/(approve|reject)$/,
      methods: {
        POST: async (req, res, [id, action]) => {
          const hasBody = Number(req.headers['content-length'] ?? 0) > 0;
          const body = hasBody ? await readJsonBody(req, decisionSchema, maxBodyBytes) : {};
          const opts = {
            ...(body.by !== undefined ? { by: body.by } : {}),
            ...(body.comment !== undefined ? { comment: body.comment } : {}),
          };
          const job =
            action === 'approve'
              ? await runner.approve(id ?? '', opts)
              : await runner.reject(id ?? '', opts);
          sendJson(res, 200, { job });
        },
      },
    },
    {
      pattern: /^\/v1\/models$/,
      methods: {
        GET: async (_req, res) => {
          const reg = await getRegistry();
          sendJson(res, 200, { models: await reg.listModels() });
        },
      },
    },
    {
      pattern: /^\/v1\/models\/([^/]+)\/predict$/,
      methods: {
        POST: async (req, res, [name]) => {
          const body = await readJsonBody(req, predictSchema, maxBodyBytes);
          sendJson(res, 200, await predictor.predict(name ?? '', body));
        },
      },
    },
    {
      pattern: /^\/v1\/models\/([^/]+)\/evaluate$/,
      methods: {
        POST: async (req, res, [name]) => {
          const { labels, output, ...input } = await readJsonBody(
            req,
            evaluateSchema,
            maxBodyBytes,
          );
          const result = await predictor.predict(name ?? '', {
            ...input,
            ...(output !== undefined ? { outputs: [output] } : {}),
          });
          const scored = output ?? Object.keys(result.outputs)[0] ?? '';
          const tensor = result.outputs[scored];
          const predictions = tensor ? argmaxRows(tensor) : [];
          if (predictions.length !== labels.length) {
            throw new HttpError(
              400,
              'INVALID_BODY',
              `labels: ${labels.length} labels for ${predictions.length} predictions; send one label per input row.`,
              'labels',
            );
          }
          // @ft/validate is loaded on first use: it is large and most servers never evaluate.
          const { accuracy, f1Score } = await import('@ft/validate');
          sendJson(res, 200, {
            model: result.model,
            version: result.version,
            output: scored,
            metrics: {
              accuracy: accuracy(labels, predictions),
              f1Macro: f1Score(labels, predictions, { average: 'macro' }),
            },
            predictions,
          });
        },
      },
    },
    {
      pattern: /^\/v1\/feedback$/,
      methods: {
        POST: async (req, res) => {
          const body = await readJsonBody(req, feedbackSchema, maxBodyBytes);
          const fb = await getFeedback();
          if (body.kind === 'correction') {
            await fb.correct(
              body.id,
              body.correction,
              body.by !== undefined ? { by: body.by } : {},
            );
            sendJson(res, 201, { id: body.id, kind: 'correction' });
            return;
          }
          const { kind: _kind, ...record } = body;
          const id = await fb.record(record);
          sendJson(res, 201, { id, kind: 'prediction' });
        },
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (token !== undefined && token !== '') checkBearer(req, token);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const handler = route.methods[req.method ?? 'GET'];
      if (!handler) {
        const allow = Object.keys(route.methods).join(', ');
        throw new HttpError(
          405,
          'METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${path}; use ${allow}.`,
          undefined,
          { allow },
        );
      }
      let params: string[];
      try {
        params = match.slice(1).map((part) => decodeURIComponent(part));
      } catch {
        throw new HttpError(400, 'INVALID_PATH', `the path ${path} has a malformed %-escape.`);
      }
      await handler(req, res, params);
      return;
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${path}; the API lives under /v1.`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const httpError = toHttpError(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An unread body (413, 401 …) must not be parsed as the next request on this connection.
      if (!req.complete) httpError.headers.connection = 'close';
      sendError(res, httpError);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    store,
    runner,
    async close() {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      await runner.close();
      await predictor.close();
      if (feedback) await (await feedback).close();
    },
  };
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof PipelineError) {
    return new HttpError(
      statusForPipelineError(error.code),
      error.code,
      error.message,
      error.field,
    );
  }
  if (error instanceof RegistryError) {
    const status = error.code === 'NOT_FOUND' ? 404 : error.code === 'LOCKED' ? 409 : 400;
    return new HttpError(status, error.code, error.message);
  }
  if (error instanceof Error && (error as { code?: unknown }).code === 'NOT_FOUND') {
    return new HttpError(404, 'NOT_FOUND', error.message);
  }
  if (error instanceof Error && error.name === 'DataError') {
    const { code, field } = error as { code?: unknown; field?: unknown };
    const status = code === 'LOCKED' ? 409 : code === 'IO_ERROR' ? 500 : 400;
    return new HttpError(
      status,
      String(code),
      error.message,
      typeof field === 'string' ? field : undefined,
    );
  }
  return new HttpError(
    500,
    'INTERNAL',
    `internal error: ${error instanceof Error ? error.message : String(error)}`,
  );
}
