// The feedback store: a crash-safe, multi-process journal of a deployed model's predictions and
// their later corrections, with the error statistics a pipeline uses to decide when to retrain.
import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';
import type { DataRecord } from '../types.js';
import {
  type CorrectionEvent,
  encodeEvent,
  type FeedbackEvent,
  type PredictionEvent,
  scanJournal,
} from './journal.js';
import { acquireFileLock, type FileLockOptions } from './lock.js';

/** A point in time: a Date, an ISO string or epoch milliseconds. */
export type FeedbackTimeInput = Date | string | number;

export interface FeedbackStoreOptions {
  /** The journal file (JSONL); created with its folder when missing. */
  path: string;
  /** Current time in epoch milliseconds; fix it in tests. @default Date.now */
  clock?: () => number;
  /**
   * `'always'`: every append is fsynced before `record`/`correct` resolve. `'batch'`: appends
   * arriving within `batchWindowMs` are written together and fsynced once, then all resolve.
   * @default 'always'
   */
  sync?: 'always' | 'batch';
  /** How long `'batch'` mode gathers appends before writing them. @default 5 */
  batchWindowMs?: number;
  /** Options for the cross-process lock file `<path>.lock`. */
  lock?: FileLockOptions;
}

export interface FeedbackRecordInput {
  /** What the model was given. */
  input: unknown;
  modelVersion: string;
  /** What the model answered. */
  prediction: unknown;
  /** The true label, when known already. */
  label?: unknown;
  /** A unique id; a random UUID when omitted. */
  id?: string;
  /** When the prediction was made. @default the store's clock */
  time?: FeedbackTimeInput;
  /** Free-form context (request id, latency, …). */
  meta?: Record<string, unknown>;
}

export interface CorrectOptions {
  /** Who made the correction. */
  by?: string;
  /** When the correction was made. @default the store's clock */
  time?: FeedbackTimeInput;
}

export interface FeedbackStatsOptions {
  /** Only predictions made at or after this time. Not together with `windowMs`. */
  since?: FeedbackTimeInput;
  /** Only predictions made before this time; corrections made later are ignored too (the state as it was then). */
  until?: FeedbackTimeInput;
  /** Only predictions in the last `windowMs` before `until`, or before now (the clock) when `until` is omitted. */
  windowMs?: number;
  /** Only predictions of this model version. */
  modelVersion?: string;
}

/** Counts for one group of predictions. */
export interface FeedbackCounts {
  predictions: number;
  /** Predictions whose true output is known (a correction, or a label given at record time). */
  labeled: number;
  /** Predictions with at least one correction. */
  corrected: number;
  /** Predictions whose true output (latest correction, else label) differs from the prediction. */
  errors: number;
  /** errors / labeled; null when nothing is labeled. Unlabeled predictions are not assumed right. */
  errorRate: number | null;
  /** labeled / predictions; null when there are no predictions. */
  labeledShare: number | null;
}

export interface FeedbackStats extends FeedbackCounts {
  /** The window the counts cover (ISO; null when unbounded). */
  since: string | null;
  until: string | null;
  /** The same counts per model version, versions sorted. */
  byModelVersion: Record<string, FeedbackCounts>;
}

export interface CorrectionsOptions {
  /** Only corrections made at or after this time. */
  since?: FeedbackTimeInput;
  /** Only corrections of predictions by this model version. */
  modelVersion?: string;
}

/** A correction joined with the prediction it corrects. */
export interface FeedbackCorrection {
  id: string;
  time: string;
  correction: unknown;
  by?: string;
  input: unknown;
  prediction: unknown;
  modelVersion: string;
  predictionTime: string;
}

export interface ExportCorrectedOptions {
  /** Only predictions whose latest correction was made at or after this time. */
  since?: FeedbackTimeInput;
  /** Only predictions by this model version. */
  modelVersion?: string;
  /** Field of the exported record that holds the input. @default 'input' */
  inputField?: string;
  /** Field that holds the corrected label. @default 'label' */
  labelField?: string;
  /** Also export uncorrected predictions that were recorded with a label. @default false */
  includeLabeled?: boolean;
}

export interface FeedbackStore {
  readonly path: string;
  /** Torn final lines this store truncated (at open, or left by a writer that crashed since). */
  readonly recovered: number;
  /** Bytes those torn lines held. */
  readonly recoveredBytes: number;
  /** Appends a prediction; resolves with its id once it is durable. */
  record(input: FeedbackRecordInput): Promise<string>;
  /** Appends a correction of prediction `id`; an unknown id is a DataError. */
  correct(id: string, correction: unknown, options?: CorrectOptions): Promise<void>;
  stats(options?: FeedbackStatsOptions): Promise<FeedbackStats>;
  corrections(options?: CorrectionsOptions): Promise<FeedbackCorrection[]>;
  /** Training records: input and corrected label, plus `predictionId` and `modelVersion`. */
  exportCorrected(options?: ExportCorrectedOptions): Promise<DataRecord[]>;
  /** Writes pending appends and closes the file. */
  close(): Promise<void>;
}

interface PredictionState {
  event: PredictionEvent;
  timeMs: number;
  /** Corrections in journal order; the last one is the current truth. */
  corrections: { event: CorrectionEvent; timeMs: number }[];
}

interface PendingAppend {
  event: FeedbackEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Opens (or creates) a feedback journal. Appends take the lock file `<path>.lock`, so several
 * processes may share one journal; each event is one `write` on an O_APPEND descriptor. Opening
 * truncates a torn final line (see `recovered`) and throws on corruption earlier in the file.
 */
export async function openFeedbackStore(options: FeedbackStoreOptions): Promise<FeedbackStore> {
  const { path, clock = Date.now, sync = 'always', batchWindowMs = 5, lock = {} } = options;
  if (typeof path !== 'string' || path === '') {
    throw new DataError(
      'INVALID_ARGUMENT',
      'openFeedbackStore needs a `path` to the journal file.',
    );
  }
  if (sync !== 'always' && sync !== 'batch') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `unknown sync mode ${JSON.stringify(sync)}; use 'always' or 'batch'.`,
    );
  }
  const lockPath = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true });
  let handle: FileHandle;
  try {
    // 'a+': O_APPEND for writes (each lands at the current end), positional reads for scanning.
    handle = await open(path, 'a+');
  } catch (error) {
    throw new DataError(
      'IO_ERROR',
      `could not open the feedback journal: ${(error as Error).message}`,
      {
        file: path,
        cause: error,
      },
    );
  }

  const predictions = new Map<string, PredictionState>();
  const correctionLog: { event: CorrectionEvent; timeMs: number }[] = [];
  let offset = 0;
  let lines = 0;
  let recovered = 0;
  let recoveredBytes = 0;
  let closed = false;

  const apply = (event: FeedbackEvent, line: number | undefined): void => {
    const timeMs = Date.parse(event.time);
    if (event.kind === 'prediction') {
      if (predictions.has(event.id)) {
        throw new DataError('CORRUPT_FILE', `prediction id "${event.id}" appears twice.`, {
          file: path,
          line,
        });
      }
      predictions.set(event.id, { event, timeMs, corrections: [] });
      return;
    }
    const target = predictions.get(event.id);
    if (!target) {
      throw new DataError(
        'CORRUPT_FILE',
        `correction of unknown prediction "${event.id}" (no earlier prediction event has that id).`,
        { file: path, line },
      );
    }
    const entry = { event, timeMs };
    target.corrections.push(entry);
    correctionLog.push(entry);
  };

  /** Reads events other processes appended; under the lock, also cuts a torn tail. */
  const refresh = async (holdsLock: boolean): Promise<void> => {
    const result = await scanJournal(handle, path, offset, lines, apply);
    offset = result.end;
    lines = result.lines;
    // Without the lock an unterminated tail may be another writer's append in progress.
    if (holdsLock && result.tornBytes > 0) {
      await handle.truncate(offset);
      await handle.sync();
      recovered++;
      recoveredBytes += result.tornBytes;
    }
  };

  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const held = await acquireFileLock(lockPath, lock);
    try {
      return await fn();
    } finally {
      await held.release();
    }
  };

  try {
    await locked(() => refresh(true));
  } catch (error) {
    await handle.close();
    throw error;
  }

  // In-process appends run one at a time, in call order, so they never contend for the lock file.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };

  /** Appends valid events with one write under the lock, then fsyncs once. */
  const appendBatch = async (batch: PendingAppend[]): Promise<void> => {
    const accepted: PendingAppend[] = [];
    try {
      await locked(async () => {
        await refresh(true);
        const newIds = new Set<string>();
        let text = '';
        for (const item of batch) {
          const problem = checkAppend(item.event, predictions, newIds);
          if (problem) {
            item.reject(problem);
            continue;
          }
          if (item.event.kind === 'prediction') newIds.add(item.event.id);
          text += encodeEvent(item.event);
          accepted.push(item);
        }
        if (accepted.length === 0) return;
        try {
          await writeAll(handle, Buffer.from(text, 'utf8'), path);
        } catch (error) {
          // A failed write may have left part of the batch; cut it so no rejected event survives.
          await handle.truncate(offset).catch(() => undefined);
          throw error;
        }
        // We hold the lock and had read to the end, so the bytes just written are exactly ours.
        offset += Buffer.byteLength(text, 'utf8');
        for (const item of accepted) {
          lines++;
          apply(item.event, lines);
        }
      });
      // Durability does not need the lock: fsync flushes this file whoever wrote the bytes.
      if (accepted.length > 0) await handle.sync();
    } catch (error) {
      // Items already rejected for their own reason keep it (a settled promise ignores this).
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of accepted) item.resolve();
  };

  let pending: PendingAppend[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flushPending = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    return batch.length === 0 ? Promise.resolve() : enqueue(() => appendBatch(batch));
  };

  const append = (event: FeedbackEvent): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const item = { event, resolve, reject };
      if (sync === 'always') {
        void enqueue(() => appendBatch([item]));
        return;
      }
      pending.push(item);
      timer ??= setTimeout(() => void flushPending(), batchWindowMs);
    });

  const ensureOpen = (): void => {
    if (closed)
      throw new DataError('INVALID_ARGUMENT', 'the feedback store is closed.', { file: path });
  };
  const now = (): number => clock();

  /** Reads other processes' appends; queued behind our own so results include them. */
  const read = (): Promise<void> => enqueue(() => refresh(false));

  return {
    path,
    get recovered() {
      return recovered;
    },
    get recoveredBytes() {
      return recoveredBytes;
    },

    async record(input) {
      ensureOpen();
      if (input === null || typeof input !== 'object') {
        throw new DataError(
          'INVALID_ARGUMENT',
          'record() needs an object { input, modelVersion, prediction }.',
        );
      }
      const { id = randomUUID(), modelVersion, label, meta } = input;
      if (typeof id !== 'string' || id === '') {
        throw new DataError('INVALID_ARGUMENT', 'a prediction id must be a non-empty string.', {
          field: 'id',
        });
      }
      if (typeof modelVersion !== 'string' || modelVersion === '') {
        throw new DataError(
          'INVALID_ARGUMENT',
          'record() needs a non-empty `modelVersion` string.',
          {
            field: 'modelVersion',
          },
        );
      }
      for (const field of ['input', 'prediction'] as const) {
        if (input[field] === undefined) {
          throw new DataError(
            'INVALID_ARGUMENT',
            `record() needs \`${field}\` (use null for "nothing").`,
            {
              field,
            },
          );
        }
      }
      const event: PredictionEvent = {
        kind: 'prediction',
        id,
        time: toIso(input.time ?? now(), 'time'),
        input: input.input,
        modelVersion,
        prediction: input.prediction,
      };
      if (label !== undefined && label !== null) event.label = label;
      if (meta !== undefined) event.meta = meta;
      await append(event);
      return id;
    },

    async correct(id, correction, options = {}) {
      ensureOpen();
      if (correction === undefined || correction === null) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `correct("${id}") needs the corrected output, not ${correction}.`,
          {
            field: 'correction',
          },
        );
      }
      const event: CorrectionEvent = {
        kind: 'correction',
        id,
        time: toIso(options.time ?? now(), 'time'),
        correction,
      };
      if (options.by !== undefined) event.by = options.by;
      await append(event);
    },

    async stats(options = {}) {
      ensureOpen();
      await read();
      const { windowMs, modelVersion } = options;
      if (windowMs !== undefined && options.since !== undefined) {
        throw new DataError('INVALID_ARGUMENT', 'stats() takes `since` or `windowMs`, not both.');
      }
      if (windowMs !== undefined && !(Number.isFinite(windowMs) && windowMs > 0)) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `windowMs must be a positive number, got ${windowMs}.`,
          {
            field: 'windowMs',
          },
        );
      }
      // Unbounded above by default, so a prediction stamped "now" is counted.
      const until =
        options.until === undefined ? Number.POSITIVE_INFINITY : toMs(options.until, 'until');
      const since =
        windowMs !== undefined
          ? (options.until === undefined ? now() : until) - windowMs
          : options.since === undefined
            ? undefined
            : toMs(options.since, 'since');
      const total = emptyCounts();
      const perVersion = new Map<string, FeedbackCounts>();
      for (const state of predictions.values()) {
        const { event } = state;
        if (modelVersion !== undefined && event.modelVersion !== modelVersion) continue;
        if (state.timeMs >= until || (since !== undefined && state.timeMs < since)) continue;
        let versionCounts = perVersion.get(event.modelVersion);
        if (!versionCounts) {
          versionCounts = emptyCounts();
          perVersion.set(event.modelVersion, versionCounts);
        }
        const known = state.corrections.filter((c) => c.timeMs < until);
        const truth =
          known.length > 0 ? { value: known[known.length - 1]!.event.correction } : labelOf(event);
        for (const counts of [total, versionCounts]) {
          counts.predictions++;
          if (known.length > 0) counts.corrected++;
          if (truth) {
            counts.labeled++;
            if (canonicalJson(truth.value) !== canonicalJson(event.prediction)) counts.errors++;
          }
        }
      }
      const byModelVersion: Record<string, FeedbackCounts> = {};
      for (const version of [...perVersion.keys()].sort()) {
        byModelVersion[version] = withRates(perVersion.get(version)!);
      }
      return {
        ...withRates(total),
        since: since === undefined ? null : new Date(since).toISOString(),
        until: options.until === undefined ? null : new Date(until).toISOString(),
        byModelVersion,
      };
    },

    async corrections(options = {}) {
      ensureOpen();
      await read();
      const since = options.since === undefined ? undefined : toMs(options.since, 'since');
      const out: FeedbackCorrection[] = [];
      for (const { event, timeMs } of correctionLog) {
        if (since !== undefined && timeMs < since) continue;
        const target = predictions.get(event.id)!.event;
        if (options.modelVersion !== undefined && target.modelVersion !== options.modelVersion)
          continue;
        const item: FeedbackCorrection = {
          id: event.id,
          time: event.time,
          correction: event.correction,
          input: target.input,
          prediction: target.prediction,
          modelVersion: target.modelVersion,
          predictionTime: target.time,
        };
        if (event.by !== undefined) item.by = event.by;
        out.push(item);
      }
      return out;
    },

    async exportCorrected(options = {}) {
      ensureOpen();
      await read();
      const {
        inputField = 'input',
        labelField = 'label',
        includeLabeled = false,
        modelVersion,
      } = options;
      const reserved = new Set(['predictionId', 'modelVersion']);
      if (inputField === labelField || reserved.has(inputField) || reserved.has(labelField)) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `inputField "${inputField}" and labelField "${labelField}" must differ from each other and from "predictionId" and "modelVersion".`,
        );
      }
      const since = options.since === undefined ? undefined : toMs(options.since, 'since');
      const out: DataRecord[] = [];
      for (const state of predictions.values()) {
        const { event } = state;
        if (modelVersion !== undefined && event.modelVersion !== modelVersion) continue;
        const latest = state.corrections[state.corrections.length - 1];
        let label: unknown;
        let timeMs: number;
        if (latest) {
          label = latest.event.correction;
          timeMs = latest.timeMs;
        } else if (includeLabeled && event.label !== undefined) {
          label = event.label;
          timeMs = state.timeMs;
        } else {
          continue;
        }
        if (since !== undefined && timeMs < since) continue;
        out.push({
          [inputField]: event.input,
          [labelField]: label,
          predictionId: event.id,
          modelVersion: event.modelVersion,
        });
      }
      return out;
    },

    async close() {
      if (closed) return;
      closed = true;
      await flushPending();
      await queue;
      await handle.close();
    },
  };
}

/** Why an append cannot go in, given the journal so far and ids earlier in the same batch. */
function checkAppend(
  event: FeedbackEvent,
  predictions: Map<string, PredictionState>,
  batchIds: Set<string>,
): DataError | undefined {
  const known = predictions.has(event.id) || batchIds.has(event.id);
  if (event.kind === 'prediction' && known) {
    return new DataError(
      'INVALID_ARGUMENT',
      `a prediction with id "${event.id}" is already recorded; ids must be unique (omit \`id\` to get a random one).`,
      { field: 'id' },
    );
  }
  if (event.kind === 'correction' && !known) {
    return new DataError(
      'INVALID_ARGUMENT',
      `cannot correct "${event.id}": no prediction with that id is recorded in this journal.`,
      { field: 'id' },
    );
  }
  return undefined;
}

/** One write call; loops only if the OS accepts fewer bytes (we still hold the lock then). */
async function writeAll(handle: FileHandle, data: Buffer, file: string): Promise<void> {
  let done = 0;
  try {
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done);
      done += bytesWritten;
    }
  } catch (error) {
    throw new DataError(
      'IO_ERROR',
      `could not append to the feedback journal: ${(error as Error).message}`,
      {
        file,
        cause: error,
      },
    );
  }
}

function labelOf(event: PredictionEvent): { value: unknown } | undefined {
  return event.label === undefined || event.label === null ? undefined : { value: event.label };
}

function emptyCounts(): FeedbackCounts {
  return {
    predictions: 0,
    labeled: 0,
    corrected: 0,
    errors: 0,
    errorRate: null,
    labeledShare: null,
  };
}

function withRates(counts: FeedbackCounts): FeedbackCounts {
  return {
    ...counts,
    errorRate: counts.labeled === 0 ? null : counts.errors / counts.labeled,
    labeledShare: counts.predictions === 0 ? null : counts.labeled / counts.predictions,
  };
}

function toMs(value: FeedbackTimeInput, field: string): number {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new DataError('INVALID_ARGUMENT', `${field} is not a valid time: ${String(value)}.`, {
      field,
    });
  }
  return ms;
}

function toIso(value: FeedbackTimeInput, field: string): string {
  return new Date(toMs(value, field)).toISOString();
}
