// Folder-backed suite store: `<dir>/<suite>/` holds `sets.jsonl` (the manifest), `sets/<set>.jsonl`
// (examples), `baselines/<version>.jsonl` and the append-only `history.jsonl`. Every file is JSONL
// so a damaged file is reported by line; writes go through a per-suite cross-process lock and
// replace files atomically, so concurrent runs never interleave or see half-written files.
import { appendFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, withFileLock, writeFileAtomic } from '@ft/data';
import { ValidateError } from '../errors.js';
import {
  baselineHeaderSchema,
  baselineSampleSchema,
  checkName,
  checkVersion,
  exampleSchema,
  jsonProblem,
  parseJsonLines,
  readOptional,
  runRecordSchema,
  setInfoSchema,
  thresholdsSchema,
  versionFileName,
  versionFromFileName,
} from './files.js';
import type {
  FileSuiteStoreOptions,
  SetBaseline,
  SuiteRunRecord,
  SuiteStore,
  TestExample,
  TestSetDefinition,
  TestSetInfo,
} from './types.js';

const KINDS = ['benchmark', 'critical', 'edge-case'] as const;

/** Creates a suite store in a folder (created on first write). */
export function createFileSuiteStore(options: FileSuiteStoreOptions): SuiteStore {
  const { dir, lockTimeoutMs = 10_000, now = () => new Date() } = options;
  if (typeof dir !== 'string' || dir === '') {
    throw new ValidateError('INVALID_ARGUMENT', 'give the folder of the suite store', {
      field: 'dir',
    });
  }
  const suiteDir = (suite: string) => join(dir, checkName(suite, 'suite'));
  const manifestPath = (suite: string) => join(suiteDir(suite), 'sets.jsonl');
  const setPath = (suite: string, set: string) =>
    join(suiteDir(suite), 'sets', `${checkName(set, 'set')}.jsonl`);
  const baselinePath = (suite: string, version: string) =>
    join(suiteDir(suite), 'baselines', versionFileName(checkVersion(version, 'modelVersion')));
  const historyPath = (suite: string) => join(suiteDir(suite), 'history.jsonl');

  const locked = async <T>(suite: string, fn: () => Promise<T>): Promise<T> => {
    await ioStep(suiteDir(suite), () => mkdir(suiteDir(suite), { recursive: true }));
    // The lock sits beside the suite's files so stores on different folders never contend.
    return withFileLock(join(suiteDir(suite), '.lock'), fn, { timeoutMs: lockTimeoutMs });
  };

  const readManifest = async (suite: string): Promise<TestSetInfo[]> => {
    const path = manifestPath(suite);
    const text = await readOptional(path);
    if (text === undefined) return [];
    return parseJsonLines(text, path, setInfoSchema, 'suite manifest') as TestSetInfo[];
  };

  const writeJsonLines = async (path: string, rows: unknown[]) => {
    const text = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    await ioStep(path, () => writeFileAtomicText(path, text));
    return text;
  };

  const store: SuiteStore = {
    async registerTestSet(suite, set) {
      checkName(suite, 'suite');
      const info = checkDefinition(set);
      const rows = set.examples.map((e) => ({ id: e.id, input: e.input, expected: e.expected }));
      return locked(suite, async () => {
        const path = setPath(suite, set.name);
        await ioStep(path, () => mkdir(join(suiteDir(suite), 'sets'), { recursive: true }));
        const text = await writeJsonLines(path, rows);
        const entry: TestSetInfo = {
          ...info,
          count: rows.length,
          sha256: sha256Hex(text),
          registeredAt: now().toISOString(),
        };
        const manifest = await readManifest(suite);
        const at = manifest.findIndex((s) => s.name === set.name);
        if (at >= 0) manifest[at] = entry;
        else manifest.push(entry);
        await writeJsonLines(manifestPath(suite), manifest);
        return entry;
      });
    },

    async listSuites() {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw ioError(dir, error);
      }
      const suites: string[] = [];
      for (const name of entries.sort()) {
        if ((await readOptional(join(dir, name, 'sets.jsonl'))) !== undefined) suites.push(name);
      }
      return suites;
    },

    async listTestSets(suite) {
      const manifest = await readManifest(suite);
      if (manifest.length === 0) {
        throw new ValidateError(
          'NOT_FOUND',
          `suite ${JSON.stringify(suite)} has no test sets; register one with registerTestSet`,
          { path: manifestPath(suite), field: 'suite' },
        );
      }
      return manifest;
    },

    async loadExamples(suite, set) {
      const info = (await store.listTestSets(suite)).find((s) => s.name === set);
      const path = setPath(suite, set);
      if (info === undefined) {
        throw new ValidateError(
          'NOT_FOUND',
          `suite ${JSON.stringify(suite)} has no test set ${JSON.stringify(set)}`,
          { path: manifestPath(suite), field: 'set' },
        );
      }
      const text = await readOptional(path);
      if (text === undefined) {
        throw new ValidateError(
          'NOT_FOUND',
          'the examples file listed in the suite manifest is missing; register the set again',
          { path },
        );
      }
      const examples = parseJsonLines(text, path, exampleSchema, 'test example') as TestExample[];
      if (examples.length !== info.count) {
        throw new ValidateError(
          'INVALID_CONFIG',
          `holds ${examples.length} examples but the manifest lists ${info.count}; the file was edited by hand — register the set again`,
          { path },
        );
      }
      const seen = new Set<string>();
      examples.forEach((e, i) => {
        if (seen.has(e.id)) {
          throw new ValidateError(
            'INVALID_CONFIG',
            `duplicate example id ${JSON.stringify(e.id)}; ids must be unique within a set`,
            { path, field: `line ${i + 1}` },
          );
        }
        seen.add(e.id);
      });
      return examples;
    },

    async saveBaseline(baseline, saveOptions = {}) {
      const { merge = false } = saveOptions;
      checkName(baseline.suite, 'baseline.suite');
      checkVersion(baseline.modelVersion, 'baseline.modelVersion');
      for (const [set, b] of Object.entries(baseline.sets)) {
        checkName(set, 'baseline.sets');
        for (const [id, scores] of Object.entries(b.scores)) {
          for (const [metric, value] of Object.entries(scores)) {
            if (!Number.isFinite(value)) {
              throw new ValidateError(
                'NOT_FINITE',
                `score is ${value}; baselines hold finite scores only`,
                { field: `baseline.sets.${set}.scores[${JSON.stringify(id)}].${metric}` },
              );
            }
          }
        }
      }
      await locked(baseline.suite, async () => {
        await ioStep(suiteDir(baseline.suite), () =>
          mkdir(join(suiteDir(baseline.suite), 'baselines'), { recursive: true }),
        );
        const path = baselinePath(baseline.suite, baseline.modelVersion);
        // Merging under the same lock as the write: two runs saving different sets of one version
        // must not drop each other's sets.
        const previous =
          merge && (await readOptional(path)) !== undefined
            ? await store.loadBaseline(baseline.suite, baseline.modelVersion)
            : undefined;
        const sets = { ...previous?.sets, ...baseline.sets };
        const rows: unknown[] = [
          {
            type: 'baseline',
            suite: baseline.suite,
            modelVersion: baseline.modelVersion,
            createdAt: baseline.createdAt,
            sets: Object.fromEntries(
              Object.entries(sets).map(([set, b]) => [
                set,
                {
                  kind: b.kind,
                  examplesSha256: b.examplesSha256,
                  higherIsBetter: b.higherIsBetter,
                  aggregate: b.aggregate,
                },
              ]),
            ),
          },
        ];
        for (const [set, b] of Object.entries(sets)) {
          for (const [id, scores] of Object.entries(b.scores)) rows.push({ set, id, scores });
        }
        await writeJsonLines(path, rows);
      });
    },

    async loadBaseline(suite, modelVersion) {
      const path = baselinePath(suite, modelVersion);
      const text = await readOptional(path);
      if (text === undefined) {
        throw new ValidateError(
          'NOT_FOUND',
          `no baseline for model version ${JSON.stringify(modelVersion)} in suite ${JSON.stringify(suite)}; run the suite with saveBaseline: true for that version first`,
          { path, field: 'baselineVersion' },
        );
      }
      const lines = text.split('\n');
      const firstLine = lines.findIndex((l) => l.trim() !== '');
      const [header] = parseJsonLines(
        lines[firstLine] ?? '',
        path,
        baselineHeaderSchema,
        'baseline header',
      );
      if (header === undefined) {
        throw new ValidateError(
          'INVALID_CONFIG',
          'the baseline file is empty; save the baseline again',
          {
            path,
          },
        );
      }
      // Parse the rest with line numbers of the whole file: blank out the header line.
      const body = lines.map((l, i) => (i <= firstLine ? '' : l)).join('\n');
      const samples = parseJsonLines(body, path, baselineSampleSchema, 'baseline sample');
      const sets: Record<string, SetBaseline> = {};
      for (const [set, h] of Object.entries(header.sets)) sets[set] = { ...h, scores: {} };
      let line = firstLine + 1;
      for (const sample of samples) {
        while (lines[line]?.trim() === '') line++;
        line++;
        const target = sets[sample.set];
        if (target === undefined) {
          throw new ValidateError(
            'INVALID_CONFIG',
            `scores set ${JSON.stringify(sample.set)}, which the header on line ${firstLine + 1} does not list; save the baseline again`,
            { path, field: `line ${line}` },
          );
        }
        target.scores[sample.id] = sample.scores;
      }
      return {
        suite: header.suite,
        modelVersion: header.modelVersion,
        createdAt: header.createdAt,
        sets,
      };
    },

    async listBaselines(suite) {
      const folder = join(suiteDir(suite), 'baselines');
      let files: string[];
      try {
        files = await readdir(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw ioError(folder, error);
      }
      return files
        .filter((f) => !f.startsWith('.'))
        .map(versionFromFileName)
        .filter((v): v is string => v !== undefined)
        .sort();
    },

    async appendRun(record) {
      checkName(record.suite, 'record.suite');
      return locked(record.suite, async () => {
        const path = historyPath(record.suite);
        const history = await readHistoryFile(path);
        const full: SuiteRunRecord = { run: (history.at(-1)?.run ?? 0) + 1, ...record };
        const parsed = runRecordSchema.safeParse(JSON.parse(JSON.stringify(full)));
        if (!parsed.success) {
          throw new ValidateError(
            'INVALID_ARGUMENT',
            `not a valid run record: ${parsed.error.issues[0]?.message ?? 'schema mismatch'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`,
            { field: 'record' },
          );
        }
        // One write of one line under the lock: an append is never interleaved with another.
        await ioStep(path, () => appendFile(path, `${JSON.stringify(full)}\n`, 'utf8'));
        return full;
      });
    },

    async readHistory(suite) {
      return readHistoryFile(historyPath(suite));
    },
  };
  return store;
}

async function readHistoryFile(path: string): Promise<SuiteRunRecord[]> {
  const text = await readOptional(path);
  if (text === undefined) return [];
  return parseJsonLines(text, path, runRecordSchema, 'run history');
}

function checkDefinition(
  set: TestSetDefinition<unknown, unknown>,
): Omit<TestSetInfo, 'count' | 'sha256' | 'registeredAt'> {
  if (typeof set !== 'object' || set === null) {
    throw new ValidateError('INVALID_ARGUMENT', 'expected { name, kind, examples }', {
      field: 'set',
    });
  }
  checkName(set.name, 'set.name');
  if (!KINDS.includes(set.kind)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `unknown kind ${JSON.stringify(set.kind)}; use one of ${KINDS.join(', ')}`,
      { field: 'set.kind' },
    );
  }
  if (!Array.isArray(set.examples) || set.examples.length === 0) {
    throw new ValidateError('EMPTY_INPUT', 'a test set needs at least one example', {
      field: 'set.examples',
    });
  }
  const ids = new Set<string>();
  set.examples.forEach((e, i) => {
    const field = `set.examples[${i}]`;
    if (typeof e?.id !== 'string' || e.id === '') {
      throw new ValidateError('INVALID_ARGUMENT', 'needs a non-empty string id', {
        field: `${field}.id`,
      });
    }
    if (ids.has(e.id)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `duplicate id ${JSON.stringify(e.id)}; ids must be unique`,
        {
          field: `${field}.id`,
        },
      );
    }
    ids.add(e.id);
    for (const key of ['input', 'expected'] as const) {
      const problem = jsonProblem(e[key]);
      if (problem !== undefined) {
        throw new ValidateError('INVALID_ARGUMENT', `must be a JSON value: ${problem}`, {
          field: `${field}.${key}`,
        });
      }
    }
  });
  const thresholds = set.thresholds ?? {};
  const parsed = thresholdsSchema.safeParse(thresholds);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidateError(
      'INVALID_CONFIG',
      `${issue?.message ?? 'invalid thresholds'}; see SetThresholds for the allowed fields and ranges`,
      {
        field: `set.thresholds${issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}`,
      },
    );
  }
  return {
    name: set.name,
    kind: set.kind,
    thresholds: parsed.data,
    ...(set.description === undefined ? {} : { description: String(set.description) }),
  };
}

async function writeFileAtomicText(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, (tmp) => writeFile(tmp, text, 'utf8'));
}

function ioError(path: string, error: unknown): ValidateError {
  return new ValidateError(
    'IO_ERROR',
    `${(error as Error).message}; check the folder exists and is writable`,
    {
      path,
      cause: error,
    },
  );
}

/** Runs a filesystem step, turning OS errors into IO_ERROR and keeping ValidateErrors as they are. */
async function ioStep<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ValidateError) throw error;
    throw ioError(path, error);
  }
}
