// Redis storage: studies shared by processes on many machines. Every mutation is one Lua script,
// so checks (study exists, trial not finished, compatible distribution) and writes are atomic.
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
} from '../types.js';
import {
  type AttrScope,
  checkDirections,
  checkGrace,
  checkParamArgs,
  checkReportArgs,
  checkResult,
  checkStates,
  checkStudyAttrArgs,
  checkStudyName,
  checkTemplate,
  checkTrialAttrArgs,
  checkTrialRef,
  compareNames,
  distributionCompatKey,
  HEARTBEAT_LOST,
  importPeer,
  incompatibleDistribution,
  isStale,
  newTrial,
  parseStored,
  redactUrl,
  storageClosed,
  studyExists,
  studyNotFound,
  TRIAL_STATES,
  trialNotFound,
} from './utils.js';

export interface RedisStorageOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Prepended to every key, so several tools can share one Redis database. @default 'ft-hpo:' */
  prefix?: string;
}

/** The part of the node-redis client this storage uses (the package is loaded lazily). */
interface RedisClient {
  connect(): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hGet(key: string, field: string): Promise<string | null | undefined>;
  hGetAll(key: string): Promise<Record<string, string>>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

// Trial hashes hold one field per fact, each plain or JSON, so scripts never decode JSON (Redis's
// cjson would turn `[]` into `{}`):
//   state, datetimeStart, datetimeComplete, heartbeatAt, error, values, constraints,
//   p:<name> = [value, distribution], i:<step> = value, u:<key> / s:<key> = attribute.
const TRIAL_STATE_CHECK = `
local function updatable(key)
  local state = redis.call('HGET', key, 'state')
  if not state then return 'missing-trial' end
  if state ~= 'waiting' and state ~= 'running' then return 'finished:' .. state end
  return nil
end`;

/** KEYS: studies. ARGV: name, info JSON. */
const CREATE_STUDY = `return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])`;

/** KEYS: studies, attrs, count, waiting, compat. ARGV: name, trial key prefix. */
const DELETE_STUDY = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
local count = tonumber(redis.call('GET', KEYS[3]) or '0')
for i = 0, count - 1 do redis.call('DEL', ARGV[2] .. i) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return 1`;

/** KEYS: studies, attrs. ARGV: name, field, value. */
const SET_STUDY_ATTR = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

/**
 * KEYS: studies, count, waiting, compat. ARGV: name, trial key prefix, state, number of compat
 * pairs n, n × (param, key), then the trial's field/value pairs.
 */
const CREATE_TRIAL = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing-study'} end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  local param, key = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  local previous = redis.call('HGET', KEYS[4], param)
  if previous and previous ~= key then return {'incompatible', param, previous} end
end
for i = 0, n - 1 do redis.call('HSETNX', KEYS[4], ARGV[5 + 2 * i], ARGV[6 + 2 * i]) end
local number = redis.call('INCR', KEYS[2]) - 1
local fields = {'number', tostring(number), 'state', ARGV[3]}
for i = 5 + 2 * n, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', ARGV[2] .. number, unpack(fields))
if ARGV[3] == 'waiting' then redis.call('ZADD', KEYS[3], number, number) end
return {'ok', tostring(number)}`;

/** KEYS: studies, waiting. ARGV: name, trial key prefix, datetimeStart. */
const POP_WAITING = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing-study'} end
while true do
  local popped = redis.call('ZPOPMIN', KEYS[2])
  if #popped == 0 then return {'none'} end
  local key = ARGV[2] .. popped[1]
  -- A waiting trial finished directly stays in no queue, but check in case it raced.
  if redis.call('HGET', key, 'state') == 'waiting' then
    redis.call('HSET', key, 'state', 'running', 'datetimeStart', ARGV[3])
    return {'ok', popped[1]}
  end
end`;

/**
 * KEYS: studies, trial, compat. ARGV: name, compat param ('' for none), compat key, then
 * field/value pairs.
 */
const UPDATE_TRIAL = `${TRIAL_STATE_CHECK}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing-study'} end
local problem = updatable(KEYS[2])
if problem then return {problem} end
if ARGV[2] ~= '' then
  local previous = redis.call('HGET', KEYS[3], ARGV[2])
  if previous and previous ~= ARGV[3] then return {'incompatible', ARGV[2], previous} end
  redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[3])
end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
return {'ok'}`;

/**
 * KEYS: studies, trial, waiting. ARGV: name, number, stale cutoff in ms ('' unless failing a stale
 * trial: then it must still be running with a heartbeat older than the cutoff), field/value pairs.
 */
const FINISH_TRIAL = `${TRIAL_STATE_CHECK}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing-study'} end
local problem = updatable(KEYS[2])
if problem then return {problem} end
if ARGV[3] ~= '' then
  local state = redis.call('HGET', KEYS[2], 'state')
  local beat = tonumber(redis.call('HGET', KEYS[2], 'heartbeatAt') or '')
  if state ~= 'running' or not beat or beat >= tonumber(ARGV[3]) then return {'fresh'} end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('ZREM', KEYS[3], ARGV[2])
return {'ok'}`;

/** KEYS: studies, count. ARGV: name, trial key prefix. Every trial hash, as flat arrays. */
const READ_TRIALS = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing-study'} end
local count = tonumber(redis.call('GET', KEYS[2]) or '0')
local out = {'ok'}
for i = 0, count - 1 do out[#out + 1] = redis.call('HGETALL', ARGV[2] .. i) end
return out`;

/** KEYS: studies. ARGV: name, attrs key. Study info JSON and its attrs hash. */
const READ_STUDY = `
local info = redis.call('HGET', KEYS[1], ARGV[1])
if not info then return {'missing-study'} end
return {'ok', info, redis.call('HGETALL', ARGV[2])}`;

/**
 * Opens a storage on a Redis server (like Optuna's JournalRedisStorage, but with a key per
 * trial). Trial numbers come from INCR, waiting trials from a sorted set popped by one script,
 * and a finished trial is never overwritten: the first finisher wins. Needs the `redis` package
 * (node-redis v5+), loaded only when this is called. Not for Redis Cluster: scripts touch keys
 * they derive from the study name.
 */
export async function createRedisStorage(options: RedisStorageOptions): Promise<StudyStorage> {
  const { url, prefix = 'ft-hpo:' } = options ?? ({} as RedisStorageOptions);
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createRedisStorage needs \`url\` like redis://127.0.0.1:6379, got ${JSON.stringify(url)}`,
    );
  }
  if (typeof prefix !== 'string') {
    throw new HpoError('INVALID_ARGUMENT', 'prefix must be a string (e.g. "ft-hpo:")');
  }
  const where = redactUrl(url, 'the Redis server');
  const redis = await importPeer(() => import('redis'), 'redis', 'Redis', where);
  let lastError: Error | undefined;
  let connected = false;
  const client = redis.createClient({
    url,
    socket: {
      // A server that is not there at all fails fast; a connection lost later is retried for
      // about half a minute (calls wait meanwhile) before calls fail instead of hanging.
      reconnectStrategy: (retries: number) => {
        const limit = connected ? 20 : 2;
        if (retries >= limit) return new Error(`no connection after ${retries} retries`);
        return Math.min(100 * 2 ** retries, 2000);
      },
    },
  }) as unknown as RedisClient;
  // Without a listener node-redis would crash the process on connection errors.
  client.on('error', (error) => {
    lastError = error;
  });
  try {
    await client.connect();
    connected = true;
  } catch (error) {
    throw new HpoError(
      'STORAGE_ERROR',
      `cannot connect to Redis: ${(lastError ?? (error as Error)).message}; check that the server runs and the URL is right`,
      { path: where, cause: error },
    );
  }

  const studiesKey = `${prefix}studies`;
  // Encoding the name keeps ':' out of it, so two studies' keys can never collide.
  const studyKey = (study: string, part: string) =>
    `${prefix}study:${encodeURIComponent(study)}:${part}`;
  const trialPrefix = (study: string) => studyKey(study, 'trial:');
  const nowIso = () => new Date().toISOString();
  let closed = false;

  async function call(script: string, keys: string[], args: string[]): Promise<unknown> {
    if (closed) throw storageClosed('Redis', where);
    try {
      return await client.eval(script, { keys, arguments: args });
    } catch (error) {
      throw new HpoError('STORAGE_ERROR', `Redis command failed: ${(error as Error).message}`, {
        path: where,
        cause: error,
      });
    }
  }

  /** Turns a script's status reply into the matching HpoError. */
  function fail(reply: unknown[], study: string, trial?: number, action = 'update'): never {
    const status = String(reply[0]);
    if (status === 'missing-study') throw studyNotFound(study);
    if (status === 'missing-trial' && trial !== undefined) throw trialNotFound(study, trial);
    if (status.startsWith('finished:')) {
      throw new HpoError(
        'TRIAL_FINISHED',
        `cannot ${action}: the trial is already ${status.slice(9)}; start a new trial instead`,
        { study, trial },
      );
    }
    throw new HpoError('STORAGE_ERROR', `unexpected reply from Redis: ${JSON.stringify(reply)}`, {
      path: where,
      study,
      trial,
    });
  }

  async function readStudy(name: string): Promise<StudyInfo | undefined> {
    const reply = (await call(READ_STUDY, [studiesKey], [name, studyKey(name, 'attrs')])) as [
      string,
      string?,
      unknown?,
    ];
    if (reply[0] !== 'ok') return undefined;
    const stored = parseStored(reply[1] ?? '{}', 'study info') as {
      directions: StudyDirection[];
      createdAt: string;
    };
    const info: StudyInfo = {
      name,
      directions: stored.directions,
      userAttrs: {},
      systemAttrs: {},
      createdAt: stored.createdAt,
    };
    const attrs = pairs(reply[2]);
    for (const [field, value] of attrs) {
      const target = field.startsWith('u:') ? info.userAttrs : info.systemAttrs;
      target[field.slice(2)] = parseStored(value, `study attribute ${field}`);
    }
    return info;
  }

  async function directionsOf(study: string): Promise<StudyDirection[]> {
    const info = await readStudy(study);
    if (!info) throw studyNotFound(study);
    return info.directions;
  }

  async function update(
    study: string,
    trial: number,
    action: string,
    fields: string[],
    compat?: { param: string; key: string; distribution: Distribution },
  ): Promise<void> {
    const reply = (await call(
      UPDATE_TRIAL,
      [studiesKey, `${trialPrefix(study)}${trial}`, studyKey(study, 'compat')],
      [study, compat?.param ?? '', compat?.key ?? '', ...fields],
    )) as unknown[];
    if (reply[0] === 'incompatible' && compat) {
      throw incompatibleDistribution(
        study,
        trial,
        compat.param,
        String(reply[2]),
        compat.distribution,
      );
    }
    if (reply[0] !== 'ok') fail(reply, study, trial, action);
  }

  async function finish(
    study: string,
    trial: number,
    result: TrialResult,
    staleCutoff?: number,
  ): Promise<boolean> {
    const fields = ['state', result.state, 'datetimeComplete', nowIso()];
    if (result.values) fields.push('values', JSON.stringify(result.values));
    if (result.constraints) fields.push('constraints', JSON.stringify(result.constraints));
    if (result.error !== undefined) fields.push('error', result.error);
    const reply = (await call(
      FINISH_TRIAL,
      [studiesKey, `${trialPrefix(study)}${trial}`, studyKey(study, 'waiting')],
      [study, String(trial), staleCutoff === undefined ? '' : String(staleCutoff), ...fields],
    )) as unknown[];
    if (reply[0] === 'fresh') return false;
    if (staleCutoff !== undefined && String(reply[0]).startsWith('finished:')) return false;
    if (reply[0] !== 'ok') fail(reply, study, trial, `finish it as ${result.state}`);
    return true;
  }

  async function readTrial(study: string, trial: number): Promise<FrozenTrial> {
    let hash: Record<string, string>;
    try {
      hash = await client.hGetAll(`${trialPrefix(study)}${trial}`);
    } catch (error) {
      throw new HpoError('STORAGE_ERROR', `Redis command failed: ${(error as Error).message}`, {
        path: where,
        cause: error,
      });
    }
    if (Object.keys(hash).length === 0) {
      if (!(await readStudy(study))) throw studyNotFound(study);
      throw trialNotFound(study, trial);
    }
    return decodeTrial(Object.entries(hash));
  }

  async function setAttr(
    study: string,
    trial: number,
    scope: AttrScope,
    key: string,
    value: unknown,
  ) {
    const json = JSON.stringify(checkTrialAttrArgs(study, trial, scope, key, value));
    await update(study, trial, `set ${scope} attribute ${key}`, [`${scope[0]}:${key}`, json]);
  }

  async function setStudyAttr(study: string, scope: AttrScope, key: string, value: unknown) {
    const json = JSON.stringify(checkStudyAttrArgs(study, scope, key, value));
    const done = await call(
      SET_STUDY_ATTR,
      [studiesKey, studyKey(study, 'attrs')],
      [study, `${scope[0]}:${key}`, json],
    );
    if (Number(done) !== 1) throw studyNotFound(study);
  }

  return {
    kind: 'redis',

    async createStudy(name, directions) {
      checkStudyName(name);
      const dirs = checkDirections(name, directions);
      const createdAt = nowIso();
      const created = await call(
        CREATE_STUDY,
        [studiesKey],
        [name, JSON.stringify({ directions: dirs, createdAt })],
      );
      if (Number(created) !== 1) throw studyExists(name);
      return { name, directions: dirs, userAttrs: {}, systemAttrs: {}, createdAt };
    },

    async getStudy(name) {
      checkStudyName(name);
      return readStudy(name);
    },

    async listStudies() {
      const names = pairs(await call(`return redis.call('HGETALL', KEYS[1])`, [studiesKey], []))
        .map(([name]) => name)
        .sort(compareNames);
      const infos = await Promise.all(names.map(readStudy));
      return infos.filter((info): info is StudyInfo => info !== undefined);
    },

    async deleteStudy(name) {
      checkStudyName(name);
      const deleted = await call(
        DELETE_STUDY,
        [
          studiesKey,
          studyKey(name, 'attrs'),
          studyKey(name, 'count'),
          studyKey(name, 'waiting'),
          studyKey(name, 'compat'),
        ],
        [name, trialPrefix(name)],
      );
      if (Number(deleted) !== 1) throw studyNotFound(name);
    },

    setStudyUserAttr: (study, key, value) => setStudyAttr(study, 'user', key, value),
    setStudySystemAttr: (study, key, value) => setStudyAttr(study, 'system', key, value),

    async createTrial(study, template) {
      checkStudyName(study);
      const t = checkTemplate(study, template);
      const at = nowIso();
      const compat = Object.entries(t.distributions ?? {}).flatMap(([name, d]) => [
        name,
        distributionCompatKey(d),
      ]);
      const fields: string[] = [];
      if (t.state === 'running') fields.push('datetimeStart', at);
      const names = new Set([
        ...Object.keys(t.params ?? {}),
        ...Object.keys(t.distributions ?? {}),
      ]);
      for (const name of names) {
        fields.push(
          `p:${name}`,
          JSON.stringify({ v: t.params?.[name], d: t.distributions?.[name] }),
        );
      }
      for (const [key, value] of Object.entries(t.userAttrs ?? {})) {
        fields.push(`u:${key}`, JSON.stringify(value));
      }
      for (const [key, value] of Object.entries(t.systemAttrs ?? {})) {
        fields.push(`s:${key}`, JSON.stringify(value));
      }
      const reply = (await call(
        CREATE_TRIAL,
        [
          studiesKey,
          studyKey(study, 'count'),
          studyKey(study, 'waiting'),
          studyKey(study, 'compat'),
        ],
        [study, trialPrefix(study), t.state, String(compat.length / 2), ...compat, ...fields],
      )) as unknown[];
      if (reply[0] === 'incompatible') {
        const param = String(reply[1]);
        throw incompatibleDistribution(
          study,
          undefined,
          param,
          String(reply[2]),
          t.distributions?.[param] as Distribution,
        );
      }
      if (reply[0] !== 'ok') fail(reply, study);
      return newTrial(Number(reply[1]), t, at);
    },

    async popWaitingTrial(study) {
      checkStudyName(study);
      const reply = (await call(
        POP_WAITING,
        [studiesKey, studyKey(study, 'waiting')],
        [study, trialPrefix(study), nowIso()],
      )) as unknown[];
      if (reply[0] === 'none') return undefined;
      if (reply[0] !== 'ok') fail(reply, study);
      return readTrial(study, Number(reply[1]));
    },

    async setTrialParam(study, trial, name, value, distribution) {
      const { value: v, distribution: d } = checkParamArgs(study, trial, name, value, distribution);
      await update(study, trial, `set parameter ${name}`, [`p:${name}`, JSON.stringify({ v, d })], {
        param: name,
        key: distributionCompatKey(d),
        distribution: d,
      });
    },

    async setTrialIntermediateValue(study, trial, step, value) {
      const { step: s, value: v } = checkReportArgs(study, trial, step, value);
      await update(study, trial, `report step ${s}`, [`i:${s}`, JSON.stringify(v)]);
    },

    setTrialUserAttr: (study, trial, key, value) => setAttr(study, trial, 'user', key, value),
    setTrialSystemAttr: (study, trial, key, value) => setAttr(study, trial, 'system', key, value),

    async finishTrial(study, trial, result) {
      checkTrialRef(study, trial);
      const checked = checkResult(study, trial, await directionsOf(study), result);
      await finish(study, trial, checked);
      return readTrial(study, trial);
    },

    async recordHeartbeat(study, trial) {
      checkTrialRef(study, trial);
      await update(study, trial, 'record a heartbeat', ['heartbeatAt', String(Date.now())]);
    },

    async failStaleTrials(study, graceMs) {
      checkStudyName(study);
      const grace = checkGrace(study, graceMs);
      const now = Date.now();
      const stale = (await readTrials(study)).filter((t) => isStale(t, grace, now));
      const failed: FrozenTrial[] = [];
      for (const t of stale) {
        // The script re-checks under Redis's atomicity: a heartbeat or finish since our read wins.
        const won = await finish(
          study,
          t.number,
          { state: 'fail', error: HEARTBEAT_LOST },
          now - grace,
        );
        if (won) failed.push(await readTrial(study, t.number));
      }
      return failed;
    },

    async getTrial(study, trial) {
      checkTrialRef(study, trial);
      return readTrial(study, trial);
    },

    async getAllTrials(study, states) {
      checkStudyName(study);
      const filter = checkStates(study, states);
      const trials = await readTrials(study);
      return filter ? trials.filter((t) => filter.includes(t.state)) : trials;
    },

    async close() {
      if (closed) return;
      closed = true;
      await (client.close?.() ?? client.quit?.())?.catch(() => undefined);
    },
  };

  async function readTrials(study: string): Promise<FrozenTrial[]> {
    const reply = (await call(
      READ_TRIALS,
      [studiesKey, studyKey(study, 'count')],
      [study, trialPrefix(study)],
    )) as unknown[];
    if (reply[0] !== 'ok') fail(reply, study);
    return reply.slice(1).map((hash) => decodeTrial(pairs(hash)));
  }
}

/** A flat [field, value, field, value, …] reply (or a node-redis object) as pairs. */
function pairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply && typeof reply === 'object') {
    return Object.entries(reply as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  }
  return [];
}

function decodeTrial(fields: [string, string][]): FrozenTrial {
  const trial: FrozenTrial = {
    number: -1,
    state: 'running',
    params: {},
    distributions: {},
    intermediateValues: {},
    userAttrs: {},
    systemAttrs: {},
  };
  for (const [field, value] of fields) {
    const tag = field.slice(0, 2);
    const rest = field.slice(2);
    const json = () => parseStored(value, `trial field ${field}`);
    if (tag === 'p:') {
      // `v` or `d` is absent when an enqueued trial fixed a value without a distribution.
      const param = json() as { v?: ParamValue; d?: Distribution };
      if ('v' in param) trial.params[rest] = param.v as ParamValue;
      if (param.d !== undefined) trial.distributions[rest] = param.d;
    } else if (tag === 'i:') trial.intermediateValues[rest] = json() as number;
    else if (tag === 'u:') trial.userAttrs[rest] = json();
    else if (tag === 's:') trial.systemAttrs[rest] = json();
    else if (field === 'number') trial.number = Number(value);
    else if (field === 'state' && TRIAL_STATES.includes(value as TrialState)) {
      trial.state = value as TrialState;
    } else if (field === 'values') trial.values = json() as number[];
    else if (field === 'constraints') trial.constraints = json() as number[];
    else if (field === 'datetimeStart') trial.datetimeStart = value;
    else if (field === 'datetimeComplete') trial.datetimeComplete = value;
    else if (field === 'heartbeatAt') trial.heartbeatAt = Number(value);
    else if (field === 'error') trial.error = value;
  }
  return trial;
}
