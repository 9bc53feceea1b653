// The feedback journal's line format and scanner: one checksummed JSON event per line, so a torn
// final line is told apart from corruption in the middle of the file.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';

/** A model's prediction for one input, as stored in the journal. */
export interface PredictionEvent {
  kind: 'prediction';
  id: string;
  /** ISO time of the prediction. */
  time: string;
  input: unknown;
  modelVersion: string;
  prediction: unknown;
  /** The true label, when it was known at record time. */
  label?: unknown;
  meta?: Record<string, unknown>;
}

/** A later correction of a prediction: `correction` is the true output. */
export interface CorrectionEvent {
  kind: 'correction';
  /** The id of the prediction corrected. */
  id: string;
  time: string;
  correction: unknown;
  /** Who corrected it (a user, a reviewer queue, …). */
  by?: string;
}

export type FeedbackEvent = PredictionEvent | CorrectionEvent;

// A line is exactly `{"c":"<16 hex>","e":<canonical JSON of the event>}\n`. The fixed layout lets
// the checksum be verified over the payload's raw bytes, with no re-serialisation involved.
const PREFIX = '{"c":"';
const MIDDLE = '","e":';
const CHECKSUM_CHARS = 16;
const PAYLOAD_START = PREFIX.length + CHECKSUM_CHARS + MIDDLE.length;
const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;

/** First 16 hex digits (64 bits) of the payload's sha256. */
export function checksum(payload: string | Uint8Array): string {
  return createHash('sha256').update(payload).digest('hex').slice(0, CHECKSUM_CHARS);
}

/** One journal line, newline included. */
export function encodeEvent(event: FeedbackEvent): string {
  const payload = canonicalJson(event);
  return `${PREFIX}${checksum(payload)}${MIDDLE}${payload}}\n`;
}

/** The event in one line (without its newline), or why the line is not a valid journal line. */
export function decodeLine(line: Buffer): FeedbackEvent | string {
  if (line.length < PAYLOAD_START + 2) return 'line too short to be a journal event';
  const head = line.toString('latin1', 0, PAYLOAD_START);
  const sum = head.slice(PREFIX.length, PREFIX.length + CHECKSUM_CHARS);
  if (!head.startsWith(PREFIX) || !head.endsWith(MIDDLE) || !/^[0-9a-f]{16}$/.test(sum)) {
    return 'not a journal line (expected {"c":"<checksum>","e":{...}})';
  }
  if (line[line.length - 1] !== CLOSE_BRACE) return 'line does not end with "}"';
  const payload = line.subarray(PAYLOAD_START, line.length - 1);
  if (checksum(payload) !== sum) return 'checksum mismatch';
  let event: unknown;
  try {
    event = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'payload is not valid JSON';
  }
  return checkEvent(event);
}

function checkEvent(value: unknown): FeedbackEvent | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'event is not an object';
  }
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id === '') return 'event has no id';
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time)))
    return 'event has no valid time';
  if (e.kind === 'prediction') {
    if (typeof e.modelVersion !== 'string') return 'prediction event has no modelVersion';
    if (!('prediction' in e) || !('input' in e))
      return 'prediction event lacks input or prediction';
    return e as unknown as PredictionEvent;
  }
  if (e.kind === 'correction') {
    if (!('correction' in e)) return 'correction event has no correction';
    return e as unknown as CorrectionEvent;
  }
  return `unknown event kind ${JSON.stringify(e.kind)}`;
}

export interface ScanResult {
  /** Byte offset just past the last good line. */
  end: number;
  /** Lines read so far in the whole file (good lines only). */
  lines: number;
  /** Bytes after `end` that form a torn final line (0 when the file ends cleanly). */
  tornBytes: number;
}

const CHUNK = 1 << 20;

/**
 * Reads the journal from `start` (a line boundary; `linesBefore` lines precede it) and hands each
 * good event to `onEvent`. A bad or unterminated line at the very end is a torn write and is
 * reported in `tornBytes`, not thrown; a bad line with anything after it is corruption.
 */
export async function scanJournal(
  handle: FileHandle,
  file: string,
  start: number,
  linesBefore: number,
  onEvent: (event: FeedbackEvent, line: number) => void,
): Promise<ScanResult> {
  const { size } = await handle.stat();
  if (size < start) {
    throw new DataError(
      'CORRUPT_FILE',
      `the feedback journal shrank from ${start} to ${size} bytes while open; another program truncated or replaced it. Restore it from a backup.`,
      { file },
    );
  }
  const buffer = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer | undefined;
  let pos = start;
  let end = start;
  let lines = linesBefore;
  let bad: { line: number; reason: string } | undefined;
  while (pos < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE, from); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
      const piece = chunk.subarray(from, nl);
      const line = carry ? Buffer.concat([carry, piece]) : piece;
      carry = undefined;
      from = nl + 1;
      if (bad) throw corruption(file, bad.line, bad.reason);
      const decoded = decodeLine(line);
      if (typeof decoded === 'string') {
        // Held back: only a line that something follows is corruption rather than a torn write.
        bad = { line: lines + 1, reason: decoded };
        continue;
      }
      lines++;
      onEvent(decoded, lines);
      end += line.length + 1;
    }
    if (from < chunk.length) {
      const rest = Buffer.from(chunk.subarray(from));
      carry = carry ? Buffer.concat([carry, rest]) : rest;
    }
  }
  if (bad && carry) throw corruption(file, bad.line, bad.reason);
  return { end, lines, tornBytes: pos - end };
}

function corruption(file: string, line: number, reason: string): DataError {
  return new DataError(
    'CORRUPT_FILE',
    `feedback journal line ${line} is corrupt (${reason}) and is followed by more events, so it is not a torn final write. Restore the file from a backup, or remove that line by hand if you accept losing it.`,
    { file, line },
  );
}
