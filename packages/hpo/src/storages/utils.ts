// Rules shared by every storage: argument checks, trial-state transitions and a replayable
// operation log applied to an in-memory state (the memory storage and the journal's replay).
import { HpoError } from '../errors.js';
import type {
  Distribution,
  FrozenTrial,
  ParamValue,
  StudyDirection,
  StudyInfo,
  StudyStorage,
  TrialResult,
  TrialState,
  TrialTemplate,
} from '../types.js';

export const FINISHED_STATES: readonly TrialState[] = ['complete', 'pruned', 'fail'];
export const TRIAL_STATES: readonly TrialState[] = [
  'waiting',
  'running',
  'complete',
  'pruned',
  'fail',
];
/** The `error` of trials failed by `failStaleTrials`. */
export const HEARTBEAT_LOST = 'heartbeat lost';

export function isFinished(state: TrialState): boolean {
  return FINISHED_STATES.includes(state);
}

// ---------------------------------------------------------------------------------------------
// Argument checks (every storage calls these before touching its backend)

export function checkStudyName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `study name must be a non-empty string, got ${describe(name)}`,
    );
  }
}

export function checkDirections(name: string, directions: unknown): StudyDirection[] {
  if (!Array.isArray(directions) || directions.length === 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `directions must be a non-empty array of 'minimize' | 'maximize', got ${describe(directions)}`,
      { study: name },
    );
  }
  directions.forEach((direction, i) => {
    if (direction !== 'minimize' && direction !== 'maximize') {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `directions[${i}] must be 'minimize' or 'maximize', got ${describe(direction)}`,
        { study: name },
      );
    }
  });
  return [...directions] as StudyDirection[];
}

export function checkTrialNumber(study: string, trial: unknown): asserts trial is number {
  if (typeof trial !== 'number' || !Number.isInteger(trial) || trial < 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `trial number must be an integer ≥ 0, got ${describe(trial)}`,
      { study },
    );
  }
}

export function checkAttrKey(study: string, key: unknown, trial?: number): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `attribute key must be a non-empty string, got ${describe(key)}`,
      { study, trial },
    );
  }
}

/**
 * A deep copy of `value` that is plain JSON, so it round-trips through every storage unchanged.
 * `undefined`, functions, BigInt, NaN/±Infinity, Dates, Maps and class instances are rejected
 * rather than silently changed by `JSON.stringify`.
 */
export function toJsonValue(value: unknown, what: string, where: JsonWhere = {}): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw invalidJson(
      what,
      `${value} (JSON has no NaN or Infinity; store a string instead)`,
      where,
    );
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => toJsonValue(item, `${what}[${i}]`, where));
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalidJson(
        what,
        `a ${proto?.constructor?.name ?? 'class'} instance (convert it to plain JSON first)`,
        where,
      );
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = toJsonValue(item, `${what}.${key}`, where);
    }
    return out;
  }
  throw invalidJson(what, `${describe(value)} (only JSON values can be stored)`, where);
}

interface JsonWhere {
  study?: string;
  trial?: number;
  param?: string;
}

function invalidJson(what: string, problem: string, where: JsonWhere): HpoError {
  return new HpoError('INVALID_ARGUMENT', `${what} is ${problem}`, where);
}

export function checkParamValue(
  study: string,
  trial: number | undefined,
  name: string,
  value: unknown,
): ParamValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  ) {
    return value;
  }
  throw new HpoError(
    'INVALID_ARGUMENT',
    `parameter value must be a finite number, string, boolean or null, got ${describe(value)}`,
    { study, trial, param: name },
  );
}

/**
 * Structural check and copy of a distribution; range semantics (low ≤ high, steps) belong to the
 * distributions module, storages only make sure what they store is well-formed JSON.
 */
export function checkDistribution(
  study: string,
  trial: number | undefined,
  name: string,
  distribution: unknown,
): Distribution {
  const d = distribution as Partial<Record<string, unknown>> | null;
  const fail = (problem: string) =>
    new HpoError('INVALID_DISTRIBUTION', problem, { study, trial, param: name });
  if (d === null || typeof d !== 'object') {
    throw fail(`distribution must be an object, got ${describe(distribution)}`);
  }
  if (d.type === 'categorical') {
    if (!Array.isArray(d.choices) || d.choices.length === 0) {
      throw fail('categorical distribution needs a non-empty `choices` array');
    }
    const choices = d.choices.map((choice, i) =>
      checkParamValue(study, trial, `${name}.choices[${i}]`, choice),
    );
    return { type: 'categorical', choices };
  }
  if (d.type === 'float' || d.type === 'int') {
    for (const key of ['low', 'high'] as const) {
      if (typeof d[key] !== 'number' || !Number.isFinite(d[key])) {
        throw fail(
          `${d.type} distribution needs a finite number \`${key}\`, got ${describe(d[key])}`,
        );
      }
    }
    // `log` and the int `step` have documented defaults; storing them makes records uniform.
    const log = d.log ?? false;
    if (typeof log !== 'boolean') throw fail(`${d.type} distribution \`log\` must be a boolean`);
    const low = d.low as number;
    const high = d.high as number;
    if (d.type === 'int') {
      const step = d.step ?? 1;
      if (typeof step !== 'number' || !Number.isFinite(step)) {
        throw fail('int distribution `step` must be a finite number');
      }
      return { type: 'int', low, high, log, step };
    }
    if (d.step !== undefined) {
      if (typeof d.step !== 'number' || !Number.isFinite(d.step)) {
        throw fail('float distribution `step` must be a finite number when given');
      }
      return { type: 'float', low, high, log, step: d.step };
    }
    return { type: 'float', low, high, log };
  }
  throw fail(`distribution type must be 'float', 'int' or 'categorical', got ${describe(d.type)}`);
}

/**
 * What must agree between two distributions of one parameter name within a study (as in Optuna:
 * the same kind, the same `log`, and for categoricals the same choices; ranges may change).
 * Storages compare these keys, which lets Redis and PostgreSQL check atomically.
 */
export function distributionCompatKey(distribution: Distribution): string {
  if (distribution.type === 'categorical') {
    return `categorical:${JSON.stringify(distribution.choices)}`;
  }
  return `${distribution.type}:${distribution.log ? 'log' : 'linear'}`;
}

export function incompatibleDistribution(
  study: string,
  trial: number | undefined,
  name: string,
  previousKey: string,
  distribution: Distribution,
): HpoError {
  return new HpoError(
    'INCOMPATIBLE_DISTRIBUTION',
    `distribution ${JSON.stringify(distribution)} is incompatible with the one this study used before (${previousKey}); keep the kind, \`log\` and categorical choices of a parameter, or give the new space another name`,
    { study, trial, param: name },
  );
}

export function checkTemplate(study: string, template: unknown): TrialTemplate {
  const t = template as Partial<TrialTemplate> | null;
  if (t === null || typeof t !== 'object' || (t.state !== 'waiting' && t.state !== 'running')) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `trial template needs state 'waiting' or 'running', got ${describe(t?.state ?? template)}`,
      { study },
    );
  }
  const out: TrialTemplate = { state: t.state };
  if (t.params !== undefined) {
    out.params = {};
    for (const [name, value] of Object.entries(t.params)) {
      out.params[name] = checkParamValue(study, undefined, name, value);
    }
  }
  if (t.distributions !== undefined) {
    out.distributions = {};
    for (const [name, distribution] of Object.entries(t.distributions)) {
      out.distributions[name] = checkDistribution(study, undefined, name, distribution);
    }
  }
  if (t.userAttrs !== undefined) {
    out.userAttrs = toJsonValue(t.userAttrs, 'template.userAttrs', { study }) as Record<
      string,
      unknown
    >;
  }
  if (t.systemAttrs !== undefined) {
    out.systemAttrs = toJsonValue(t.systemAttrs, 'template.systemAttrs', { study }) as Record<
      string,
      unknown
    >;
  }
  return out;
}

// Per-method checks shared by every storage: each returns the validated, JSON-safe arguments.

/** `setTrialParam` arguments. */
export function checkParamArgs(
  study: string,
  trial: number,
  name: string,
  value: unknown,
  distribution: unknown,
): { value: ParamValue; distribution: Distribution } {
  checkTrialRef(study, trial);
  checkAttrKey(study, name, trial);
  return {
    value: checkParamValue(study, trial, name, value),
    distribution: checkDistribution(study, trial, name, distribution),
  };
}

/** `setTrialIntermediateValue` arguments. */
export function checkReportArgs(
  study: string,
  trial: number,
  step: unknown,
  value: unknown,
): { step: number; value: number } {
  checkTrialRef(study, trial);
  return {
    step: checkStep(study, trial, step),
    value: checkFiniteNumber(study, trial, `intermediate value at step ${String(step)}`, value),
  };
}

/** `setStudyUserAttr` / `setStudySystemAttr` arguments; returns the value as plain JSON. */
export function checkStudyAttrArgs(
  study: string,
  scope: AttrScope,
  key: string,
  value: unknown,
): unknown {
  checkStudyName(study);
  checkAttrKey(study, key);
  return toJsonValue(value, `${scope} attribute ${key}`, { study });
}

/** `setTrialUserAttr` / `setTrialSystemAttr` arguments; returns the value as plain JSON. */
export function checkTrialAttrArgs(
  study: string,
  trial: number,
  scope: AttrScope,
  key: string,
  value: unknown,
): unknown {
  checkTrialRef(study, trial);
  checkAttrKey(study, key, trial);
  return toJsonValue(value, `${scope} attribute ${key}`, { study, trial });
}

/** A study name and a trial number, the first two arguments of every trial method. */
export function checkTrialRef(study: unknown, trial: unknown): asserts trial is number {
  checkStudyName(study);
  checkTrialNumber(study, trial);
}

export function checkFiniteNumber(
  study: string,
  trial: number,
  what: string,
  value: unknown,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HpoError('INVALID_VALUE', `${what} must be a finite number, got ${describe(value)}`, {
      study,
      trial,
    });
  }
  return value;
}

export function checkStep(study: string, trial: number, step: unknown): number {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    throw new HpoError('INVALID_ARGUMENT', `step must be an integer ≥ 0, got ${describe(step)}`, {
      study,
      trial,
    });
  }
  return step;
}

/**
 * Validates what finishing a trial records: `complete` needs one finite value per direction,
 * `pruned` may carry them (the last report), `fail` carries none.
 */
export function checkResult(
  study: string,
  trial: number,
  directions: readonly StudyDirection[],
  result: unknown,
): TrialResult {
  const r = result as Partial<TrialResult> | null;
  if (r === null || typeof r !== 'object' || !FINISHED_STATES.includes(r.state as TrialState)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `result.state must be 'complete', 'pruned' or 'fail', got ${describe(r?.state ?? result)}`,
      { study, trial },
    );
  }
  const out: TrialResult = { state: r.state as TrialResult['state'] };
  if (r.values !== undefined) {
    if (out.state === 'fail') {
      throw new HpoError(
        'INVALID_ARGUMENT',
        'a failed trial has no values; drop `values` or finish it as complete/pruned',
        { study, trial },
      );
    }
    if (!Array.isArray(r.values) || r.values.length !== directions.length) {
      throw new HpoError(
        'INVALID_VALUE',
        `result.values must hold ${directions.length} number(s), one per direction, got ${describe(r.values)}`,
        { study, trial },
      );
    }
    out.values = r.values.map((v, i) => checkFiniteNumber(study, trial, `result.values[${i}]`, v));
  } else if (out.state === 'complete') {
    throw new HpoError(
      'INVALID_VALUE',
      `a complete trial needs result.values with ${directions.length} finite number(s)`,
      { study, trial },
    );
  }
  if (r.constraints !== undefined) {
    if (!Array.isArray(r.constraints)) {
      throw new HpoError('INVALID_VALUE', 'result.constraints must be an array of numbers', {
        study,
        trial,
      });
    }
    out.constraints = r.constraints.map((v, i) =>
      checkFiniteNumber(study, trial, `result.constraints[${i}]`, v),
    );
  }
  if (r.error !== undefined) {
    if (typeof r.error !== 'string') {
      throw new HpoError('INVALID_ARGUMENT', 'result.error must be a string', { study, trial });
    }
    out.error = r.error;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transitions (pure: they return new objects)

export function newTrial(number: number, template: TrialTemplate, nowIso: string): FrozenTrial {
  const trial: FrozenTrial = {
    number,
    state: template.state,
    params: { ...template.params },
    distributions: { ...template.distributions },
    intermediateValues: {},
    userAttrs: { ...template.userAttrs },
    systemAttrs: { ...template.systemAttrs },
  };
  if (template.state === 'running') trial.datetimeStart = nowIso;
  return trial;
}

/** Throws `TRIAL_FINISHED` unless the trial may still change (waiting or running). */
export function assertUpdatable(study: string, trial: FrozenTrial, action: string): void {
  if (isFinished(trial.state)) {
    throw new HpoError(
      'TRIAL_FINISHED',
      `cannot ${action}: the trial is already ${trial.state}; start a new trial instead`,
      { study, trial: trial.number },
    );
  }
}

export function startedTrial(trial: FrozenTrial, nowIso: string): FrozenTrial {
  return { ...trial, state: 'running', datetimeStart: nowIso };
}

export function finishedTrial(
  trial: FrozenTrial,
  result: TrialResult,
  nowIso: string,
): FrozenTrial {
  const out: FrozenTrial = { ...trial, state: result.state, datetimeComplete: nowIso };
  delete out.values;
  delete out.constraints;
  delete out.error;
  if (result.values !== undefined) out.values = [...result.values];
  if (result.constraints !== undefined) out.constraints = [...result.constraints];
  if (result.error !== undefined) out.error = result.error;
  return out;
}

/** Running, has sent a heartbeat, and the last one is older than `graceMs`. */
export function isStale(trial: FrozenTrial, graceMs: number, nowMs: number): boolean {
  return (
    trial.state === 'running' &&
    trial.heartbeatAt !== undefined &&
    nowMs - trial.heartbeatAt > graceMs
  );
}

export function checkGrace(study: string, graceMs: unknown): number {
  if (typeof graceMs !== 'number' || !(graceMs >= 0)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `graceMs must be a number ≥ 0, got ${describe(graceMs)}`,
      { study },
    );
  }
  return graceMs;
}

export function checkStates(study: string, states: unknown): readonly TrialState[] | undefined {
  if (states === undefined) return undefined;
  if (!Array.isArray(states) || states.some((s) => !TRIAL_STATES.includes(s))) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `states must be an array of ${TRIAL_STATES.join(', ')}, got ${describe(states)}`,
      { study },
    );
  }
  return states as TrialState[];
}

export function studyNotFound(name: string): HpoError {
  return new HpoError(
    'NOT_FOUND',
    'no such study; create it first (or check the name and storage)',
    { study: name },
  );
}

export function trialNotFound(study: string, trial: number): HpoError {
  return new HpoError('NOT_FOUND', 'no such trial in this study', { study, trial });
}

export function studyExists(name: string): HpoError {
  return new HpoError(
    'ALREADY_EXISTS',
    'a study with this name exists already; pass `loadIfExists: true` to reuse it or pick another name',
    { study: name },
  );
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Operation log: every mutation as plain JSON with its timestamps resolved, so replaying the same
// operations (journal file) rebuilds exactly the same state.

export type StorageOp =
  | { op: 'createStudy'; name: string; directions: StudyDirection[]; createdAt: string }
  | { op: 'deleteStudy'; name: string }
  | { op: 'setStudyAttr'; study: string; scope: AttrScope; key: string; value: unknown }
  | { op: 'createTrial'; study: string; template: TrialTemplate; at: string }
  | { op: 'startTrial'; study: string; trial: number; at: string }
  | {
      op: 'setTrialParam';
      study: string;
      trial: number;
      name: string;
      value: ParamValue;
      distribution: Distribution;
    }
  | { op: 'setIntermediateValue'; study: string; trial: number; step: number; value: number }
  | {
      op: 'setTrialAttr';
      study: string;
      trial: number;
      scope: AttrScope;
      key: string;
      value: unknown;
    }
  | { op: 'finishTrial'; study: string; trial: number; result: TrialResult; at: string }
  | { op: 'heartbeat'; study: string; trial: number; at: number };

export type AttrScope = 'user' | 'system';

interface StudyRecord {
  info: StudyInfo;
  trials: FrozenTrial[];
  /** Param name → compatibility key of the first distribution used for it. */
  compat: Map<string, string>;
}

/**
 * Studies held in memory. `apply` validates an operation against the current state and throws
 * before changing anything, so a rejected operation leaves the state as it was. Returned objects
 * are the stored ones: callers copy them before handing them out.
 */
export class StorageState {
  private readonly studies = new Map<string, StudyRecord>();

  apply(op: StorageOp): FrozenTrial | StudyInfo | undefined {
    switch (op.op) {
      case 'createStudy': {
        if (this.studies.has(op.name)) throw studyExists(op.name);
        const info: StudyInfo = {
          name: op.name,
          directions: [...op.directions],
          userAttrs: {},
          systemAttrs: {},
          createdAt: op.createdAt,
        };
        this.studies.set(op.name, { info, trials: [], compat: new Map() });
        return info;
      }
      case 'deleteStudy':
        this.study(op.name);
        this.studies.delete(op.name);
        return undefined;
      case 'setStudyAttr': {
        const { info } = this.study(op.study);
        (op.scope === 'user' ? info.userAttrs : info.systemAttrs)[op.key] = op.value;
        return info;
      }
      case 'createTrial': {
        const record = this.study(op.study);
        const number = record.trials.length;
        const distributions = op.template.distributions ?? {};
        const keys = this.checkCompat(record, op.study, number, distributions);
        const trial = newTrial(number, op.template, op.at);
        for (const [name, key] of keys) record.compat.set(name, key);
        record.trials.push(trial);
        return trial;
      }
      case 'startTrial': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        if (trial.state !== 'waiting') {
          throw new HpoError('STORAGE_ERROR', `cannot start a ${trial.state} trial`, {
            study: op.study,
            trial: op.trial,
          });
        }
        return this.replace(record, startedTrial(trial, op.at));
      }
      case 'setTrialParam': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        assertUpdatable(op.study, trial, `set parameter ${op.name}`);
        const keys = this.checkCompat(record, op.study, op.trial, { [op.name]: op.distribution });
        for (const [name, key] of keys) record.compat.set(name, key);
        return this.replace(record, {
          ...trial,
          params: { ...trial.params, [op.name]: op.value },
          distributions: { ...trial.distributions, [op.name]: op.distribution },
        });
      }
      case 'setIntermediateValue': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        assertUpdatable(op.study, trial, `report step ${op.step}`);
        return this.replace(record, {
          ...trial,
          intermediateValues: { ...trial.intermediateValues, [String(op.step)]: op.value },
        });
      }
      case 'setTrialAttr': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        assertUpdatable(op.study, trial, `set ${op.scope} attribute ${op.key}`);
        const field = op.scope === 'user' ? 'userAttrs' : 'systemAttrs';
        return this.replace(record, {
          ...trial,
          [field]: { ...trial[field], [op.key]: op.value },
        });
      }
      case 'finishTrial': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        assertUpdatable(op.study, trial, `finish it as ${op.result.state}`);
        return this.replace(record, finishedTrial(trial, op.result, op.at));
      }
      case 'heartbeat': {
        const record = this.study(op.study);
        const trial = this.trial(op.study, op.trial);
        assertUpdatable(op.study, trial, 'record a heartbeat');
        return this.replace(record, { ...trial, heartbeatAt: op.at });
      }
    }
  }

  hasStudy(name: string): boolean {
    return this.studies.has(name);
  }

  study(name: string): StudyRecord {
    const record = this.studies.get(name);
    if (!record) throw studyNotFound(name);
    return record;
  }

  trial(study: string, number: number): FrozenTrial {
    const trial = this.study(study).trials[number];
    if (!trial) throw trialNotFound(study, number);
    return trial;
  }

  /** Sorted by name, like every storage's `listStudies`. */
  studyInfos(): StudyInfo[] {
    return [...this.studies.values()]
      .map((record) => record.info)
      .sort((a, b) => compareNames(a.name, b.name));
  }

  clear(): void {
    this.studies.clear();
  }

  private replace(record: StudyRecord, trial: FrozenTrial): FrozenTrial {
    record.trials[trial.number] = trial;
    return trial;
  }

  private checkCompat(
    record: StudyRecord,
    study: string,
    trial: number,
    distributions: Record<string, Distribution>,
  ): Map<string, string> {
    const keys = new Map<string, string>();
    for (const [name, distribution] of Object.entries(distributions)) {
      const key = distributionCompatKey(distribution);
      const previous = record.compat.get(name);
      if (previous !== undefined && previous !== key) {
        throw incompatibleDistribution(study, trial, name, previous, distribution);
      }
      keys.set(name, key);
    }
    return keys;
  }
}

/** JSON read back from a server; anything unreadable was not written by this storage. */
export function parseStored(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HpoError(
      'STORAGE_ERROR',
      `stored ${what} is not valid JSON (${(error as Error).message}); the key/row was written by something else — use another prefix/schema`,
      { cause: error },
    );
  }
}

/** Code-unit order, the same in JavaScript and in PostgreSQL's `COLLATE "C"`. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A server URL fit for error messages: the password masked, or `fallback` if it does not parse. */
export function redactUrl(url: string, fallback: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return fallback;
  }
}

/** Loads an optional peer dependency (`redis`, `pg`) or says how to install it. */
export async function importPeer<T>(
  load: () => Promise<T>,
  pkg: string,
  storage: string,
  path: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new HpoError(
      'STORAGE_ERROR',
      `the ${storage} storage needs the \`${pkg}\` package: install it with \`npm install ${pkg}\``,
      { path, cause: error },
    );
  }
}

/** What every method of a closed server storage throws. */
export function storageClosed(storage: string, path: string): HpoError {
  return new HpoError('STORAGE_ERROR', `this ${storage} storage is closed; open a new one`, {
    path,
  });
}

/** A deep copy safe to hand out (everything stored is plain JSON). */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------
// A StudyStorage over a StorageState: the memory storage and the journal differ only in how they
// read the state (the journal catches up with its file first) and how they commit operations.

export interface StateBackend {
  readonly kind: string;
  /** Runs `fn` on an up-to-date state. */
  read<T>(fn: (state: StorageState) => T): Promise<T>;
  /**
   * Runs `fn` on an up-to-date state with exclusive access; `emit` applies an operation (throwing
   * if it is invalid) and makes it durable once `fn` returns.
   */
  write<T>(fn: (state: StorageState, emit: (op: StorageOp) => unknown) => T): Promise<T>;
  close(): Promise<void>;
}

export function createStateStorage(backend: StateBackend): StudyStorage {
  const nowIso = () => new Date().toISOString();
  return {
    kind: backend.kind,

    async createStudy(name, directions) {
      checkStudyName(name);
      const dirs = checkDirections(name, directions);
      return backend.write((_, emit) =>
        copy(emit({ op: 'createStudy', name, directions: dirs, createdAt: nowIso() }) as StudyInfo),
      );
    },

    async getStudy(name) {
      checkStudyName(name);
      return backend.read((state) =>
        state.hasStudy(name) ? copy(state.study(name).info) : undefined,
      );
    },

    async listStudies() {
      return backend.read((state) => copy(state.studyInfos()));
    },

    async deleteStudy(name) {
      checkStudyName(name);
      await backend.write((_, emit) => emit({ op: 'deleteStudy', name }));
    },

    setStudyUserAttr: (study, key, value) => setStudyAttr(study, 'user', key, value),
    setStudySystemAttr: (study, key, value) => setStudyAttr(study, 'system', key, value),

    async createTrial(study, template) {
      checkStudyName(study);
      const checked = checkTemplate(study, template);
      return backend.write((_, emit) =>
        copy(emit({ op: 'createTrial', study, template: checked, at: nowIso() }) as FrozenTrial),
      );
    },

    async popWaitingTrial(study) {
      checkStudyName(study);
      return backend.write((state, emit) => {
        const waiting = state.study(study).trials.find((t) => t.state === 'waiting');
        if (!waiting) return undefined;
        return copy(
          emit({ op: 'startTrial', study, trial: waiting.number, at: nowIso() }) as FrozenTrial,
        );
      });
    },

    async setTrialParam(study, trial, name, value, distribution) {
      const checked = checkParamArgs(study, trial, name, value, distribution);
      await backend.write((_, emit) =>
        emit({ op: 'setTrialParam', study, trial, name, ...checked }),
      );
    },

    async setTrialIntermediateValue(study, trial, step, value) {
      const checked = checkReportArgs(study, trial, step, value);
      await backend.write((_, emit) =>
        emit({ op: 'setIntermediateValue', study, trial, ...checked }),
      );
    },

    setTrialUserAttr: (study, trial, key, value) => setTrialAttr(study, trial, 'user', key, value),
    setTrialSystemAttr: (study, trial, key, value) =>
      setTrialAttr(study, trial, 'system', key, value),

    async finishTrial(study, trial, result) {
      checkTrialRef(study, trial);
      return backend.write((state, emit) => {
        const checked = checkResult(study, trial, state.study(study).info.directions, result);
        return copy(
          emit({ op: 'finishTrial', study, trial, result: checked, at: nowIso() }) as FrozenTrial,
        );
      });
    },

    async recordHeartbeat(study, trial) {
      checkTrialRef(study, trial);
      await backend.write((_, emit) => emit({ op: 'heartbeat', study, trial, at: Date.now() }));
    },

    async failStaleTrials(study, graceMs) {
      checkStudyName(study);
      const grace = checkGrace(study, graceMs);
      return backend.write((state, emit) => {
        const now = Date.now();
        const at = new Date(now).toISOString();
        return state
          .study(study)
          .trials.filter((t) => isStale(t, grace, now))
          .map((t) =>
            copy(
              emit({
                op: 'finishTrial',
                study,
                trial: t.number,
                result: { state: 'fail', error: HEARTBEAT_LOST },
                at,
              }) as FrozenTrial,
            ),
          );
      });
    },

    async getTrial(study, trial) {
      checkTrialRef(study, trial);
      return backend.read((state) => copy(state.trial(study, trial)));
    },

    async getAllTrials(study, states) {
      checkStudyName(study);
      const filter = checkStates(study, states);
      return backend.read((state) => {
        const trials = state.study(study).trials;
        return copy(filter ? trials.filter((t) => filter.includes(t.state)) : trials);
      });
    },

    close: () => backend.close(),
  };

  async function setStudyAttr(study: string, scope: AttrScope, key: string, value: unknown) {
    const v = checkStudyAttrArgs(study, scope, key, value);
    await backend.write((_, emit) => emit({ op: 'setStudyAttr', study, scope, key, value: v }));
  }

  async function setTrialAttr(
    study: string,
    trial: number,
    scope: AttrScope,
    key: string,
    value: unknown,
  ) {
    const v = checkTrialAttrArgs(study, trial, scope, key, value);
    await backend.write((_, emit) =>
      emit({ op: 'setTrialAttr', study, trial, scope, key, value: v }),
    );
  }
}
