// Small node:http helpers for the job server: JSON responses and errors, bearer-token checks in
// constant time, and JSON bodies read up to a byte limit and validated with zod.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { z } from 'zod';
import type { PipelineError } from '../errors.js';

/** An error that becomes an HTTP response: status, machine code, message and the field at fault. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS_OF_PIPELINE_CODE: Record<PipelineError['code'], number> = {
  INVALID_CONFIG: 400,
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  LOCKED: 409,
  CANCELLED: 409,
  STEP_FAILED: 500,
  IO_ERROR: 500,
};

export function statusForPipelineError(code: PipelineError['code']): number {
  return STATUS_OF_PIPELINE_CODE[code];
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(
    res,
    error.status,
    {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field !== undefined ? { field: error.field } : {}),
      },
    },
    error.headers,
  );
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

/**
 * Compares the request's bearer token with `token` in constant time: both sides are hashed first,
 * so neither the content nor the length of the token leaks through timing.
 */
export function checkBearer(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization;
  const challenge = { 'www-authenticate': 'Bearer realm="ft"' };
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      'this server needs a bearer token: send `Authorization: Bearer <token>`.',
      'authorization',
      challenge,
    );
  }
  const given = createHash('sha256').update(match[1]).digest();
  const wanted = createHash('sha256').update(token).digest();
  if (!timingSafeEqual(given, wanted)) {
    throw new HttpError(401, 'UNAUTHORIZED', 'the bearer token is not valid.', 'authorization', {
      'www-authenticate': 'Bearer realm="ft", error="invalid_token"',
    });
  }
}

/**
 * Reads a JSON body of at most `maxBytes`: stops reading at the limit (413), refuses other
 * content types (415) and malformed JSON (400, with the position), then validates with `schema`.
 */
export async function readJsonBody<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  maxBytes: number,
): Promise<z.infer<S>> {
  const type = req.headers['content-type'] ?? '';
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    throw new HttpError(400, 'INVALID_BODY', 'the request needs a JSON body.', 'body');
  }
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `bodies must be JSON: send \`Content-Type: application/json\` (got ${JSON.stringify(type)}).`,
      'content-type',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      'INVALID_JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
      'body',
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? formatPath(issue.path) : 'body';
    throw new HttpError(400, 'INVALID_BODY', `${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return parsed.data;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the body is larger than ${maxBytes} bytes; send less or raise maxBodyBytes.`,
    'body',
    { connection: 'close' },
  );
}

/** `["steps", 2, "params"]` → `steps[2].params`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
