// PostgreSQL storage: studies shared by processes on many machines, each operation one
// transaction with row locks, so numbering, popping and finishing stay atomic under concurrency.
import type { Pool, PoolClient } from 'pg';
import { HpoError } from '../errors.js';
import type {
  Distribution,
  FrozenTrial,
  StudyDirection,
  StudyInfo,
  StudyStorage,
  TrialResult,
} from '../types.js';
import {
  type AttrScope,
  assertUpdatable,
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
  distributionCompatKey,
  finishedTrial,
  HEARTBEAT_LOST,
  importPeer,
  incompatibleDistribution,
  newTrial,
  parseStored,
  redactUrl,
  startedTrial,
  storageClosed,
  studyExists,
  studyNotFound,
  trialNotFound,
} from './utils.js';

export interface PostgresStorageOptions {
  /** `postgresql://user[:password]@host:port/database`. */
  connectionString: string;
  /** Schema holding the tables (created with them when missing). @default 'ft_hpo' */
  schema?: string;
}

/** Deadlocks and serialization failures are safe to retry: the transaction was rolled back. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

/**
 * Opens a storage in a PostgreSQL database (like Optuna's RDBStorage). Trials are rows holding
 * the trial's JSON (as text, so it round-trips exactly); the study row counts trial numbers,
 * `SELECT … FOR UPDATE SKIP LOCKED` hands each waiting trial to one caller, and a finished row is
 * never updated again. Needs the `pg` package, loaded only when this is called.
 */
export async function createPostgresStorage(
  options: PostgresStorageOptions,
): Promise<StudyStorage> {
  const { connectionString, schema = 'ft_hpo' } = options ?? ({} as PostgresStorageOptions);
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'createPostgresStorage needs `connectionString` like postgresql://user@127.0.0.1:5432/db',
    );
  }
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `schema must be a plain SQL identifier (letters, digits, _), got ${JSON.stringify(schema)}`,
    );
  }
  const where = redactUrl(connectionString, 'the PostgreSQL server');
  const mod = (await importPeer(
    () => import('pg'),
    'pg',
    'PostgreSQL',
    where,
  )) as typeof import('pg') & { default?: typeof import('pg') };
  // `pg` is CommonJS: under ESM its API may sit on `default`.
  const pg = mod.default ?? mod;
  const pool: Pool = new pg.Pool({ connectionString });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const s = `"${schema}"`;
  let closed = false;

  function storageError(error: unknown): HpoError {
    return new HpoError('STORAGE_ERROR', `PostgreSQL failed: ${(error as Error).message}`, {
      path: where,
      cause: error,
    });
  }

  /** Runs `fn` in a transaction, retrying deadlocks; HpoErrors roll back and pass through. */
  async function tx<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    if (closed) throw storageClosed('PostgreSQL', where);
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw storageError(error);
      }
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (error instanceof HpoError) throw error;
        const code = (error as { code?: string }).code;
        if (!(code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS)) throw storageError(error);
      } finally {
        client.release();
      }
    }
  }

  // Concurrent first uses would race on CREATE TABLE IF NOT EXISTS; an advisory lock orders them.
  await tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ft-hpo-schema:${schema}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.studies (
      name text PRIMARY KEY,
      directions text NOT NULL,
      user_attrs text NOT NULL DEFAULT '{}',
      system_attrs text NOT NULL DEFAULT '{}',
      created_at text NOT NULL,
      next_number integer NOT NULL DEFAULT 0
    )`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.trials (
      study text NOT NULL REFERENCES ${s}.studies (name) ON DELETE CASCADE,
      number integer NOT NULL,
      state text NOT NULL,
      heartbeat_at bigint,
      data text NOT NULL,
      PRIMARY KEY (study, number)
    )`);
    await c.query(
      `CREATE INDEX IF NOT EXISTS trials_by_state ON ${s}.trials (study, state, number)`,
    );
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.param_kinds (
      study text NOT NULL REFERENCES ${s}.studies (name) ON DELETE CASCADE,
      name text NOT NULL,
      compat text NOT NULL,
      PRIMARY KEY (study, name)
    )`);
  }).catch(async (error: unknown) => {
    await pool.end().catch(() => undefined);
    throw error instanceof HpoError && error.code === 'STORAGE_ERROR'
      ? new HpoError(
          'STORAGE_ERROR',
          `cannot set up the tables: ${error.problem}; check that the server runs, the URL is right and the user may create schema ${schema}`,
          { path: where, cause: error },
        )
      : error;
  });

  const nowIso = () => new Date().toISOString();

  async function studyExistsIn(c: PoolClient, study: string): Promise<boolean> {
    const { rowCount } = await c.query(`SELECT 1 FROM ${s}.studies WHERE name = $1`, [study]);
    return (rowCount ?? 0) > 0;
  }

  /** The trial row, locked until the transaction ends. */
  async function lockTrial(c: PoolClient, study: string, trial: number): Promise<FrozenTrial> {
    const { rows } = await c.query<{ data: string }>(
      `SELECT data FROM ${s}.trials WHERE study = $1 AND number = $2 FOR UPDATE`,
      [study, trial],
    );
    if (rows[0]) return parseStored(rows[0].data, 'trial') as FrozenTrial;
    throw (await studyExistsIn(c, study)) ? trialNotFound(study, trial) : studyNotFound(study);
  }

  async function saveTrial(c: PoolClient, study: string, trial: FrozenTrial): Promise<void> {
    await c.query(
      `UPDATE ${s}.trials SET state = $3, heartbeat_at = $4, data = $5 WHERE study = $1 AND number = $2`,
      [study, trial.number, trial.state, trial.heartbeatAt ?? null, JSON.stringify(trial)],
    );
  }

  /** Records each parameter's kind for the study, or throws if it differs from the first one. */
  async function checkKinds(
    c: PoolClient,
    study: string,
    trial: number | undefined,
    distributions: Record<string, Distribution>,
  ): Promise<void> {
    for (const [name, distribution] of Object.entries(distributions)) {
      const key = distributionCompatKey(distribution);
      await c.query(
        `INSERT INTO ${s}.param_kinds (study, name, compat) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [study, name, key],
      );
      const { rows } = await c.query<{ compat: string }>(
        `SELECT compat FROM ${s}.param_kinds WHERE study = $1 AND name = $2`,
        [study, name],
      );
      const previous = rows[0]?.compat;
      if (previous !== undefined && previous !== key) {
        throw incompatibleDistribution(study, trial, name, previous, distribution);
      }
    }
  }

  /** Locks the trial, checks it may change, and saves `change(trial)`. */
  function updateTrial(
    study: string,
    trial: number,
    action: string,
    change: (t: FrozenTrial, c: PoolClient) => Promise<FrozenTrial> | FrozenTrial,
  ): Promise<FrozenTrial> {
    return tx(async (c) => {
      const current = await lockTrial(c, study, trial);
      assertUpdatable(study, current, action);
      const next = await change(current, c);
      await saveTrial(c, study, next);
      return next;
    });
  }

  function toInfo(row: StudyRow): StudyInfo {
    return {
      name: row.name,
      directions: parseStored(row.directions, 'study') as StudyDirection[],
      userAttrs: parseStored(row.user_attrs, 'study') as Record<string, unknown>,
      systemAttrs: parseStored(row.system_attrs, 'study') as Record<string, unknown>,
      createdAt: row.created_at,
    };
  }

  async function query<R extends object>(text: string, values: unknown[]): Promise<R[]> {
    if (closed) throw storageClosed('PostgreSQL', where);
    try {
      return (await pool.query<R>(text, values)).rows;
    } catch (error) {
      throw storageError(error);
    }
  }

  async function setStudyAttr(study: string, scope: AttrScope, key: string, value: unknown) {
    const v = checkStudyAttrArgs(study, scope, key, value);
    const column = scope === 'user' ? 'user_attrs' : 'system_attrs';
    await tx(async (c) => {
      // NO KEY UPDATE, not UPDATE: the foreign-key checks of trial and param_kinds inserts take
      // KEY SHARE on the study row and need not wait for an attribute write.
      const { rows } = await c.query<Record<string, string>>(
        `SELECT ${column} FROM ${s}.studies WHERE name = $1 FOR NO KEY UPDATE`,
        [study],
      );
      const row = rows[0];
      if (!row) throw studyNotFound(study);
      const attrs = parseStored(row[column] ?? '{}', 'study') as Record<string, unknown>;
      attrs[key] = v;
      await c.query(`UPDATE ${s}.studies SET ${column} = $2 WHERE name = $1`, [
        study,
        JSON.stringify(attrs),
      ]);
    });
  }

  async function setTrialAttr(
    study: string,
    trial: number,
    scope: AttrScope,
    key: string,
    value: unknown,
  ) {
    const v = checkTrialAttrArgs(study, trial, scope, key, value);
    const field = scope === 'user' ? 'userAttrs' : 'systemAttrs';
    await updateTrial(study, trial, `set ${scope} attribute ${key}`, (t) => ({
      ...t,
      [field]: { ...t[field], [key]: v },
    }));
  }

  async function finish(
    c: PoolClient,
    study: string,
    current: FrozenTrial,
    result: TrialResult,
  ): Promise<FrozenTrial> {
    const done = finishedTrial(current, result, nowIso());
    await saveTrial(c, study, done);
    return done;
  }

  return {
    kind: 'postgres',

    async createStudy(name, directions) {
      checkStudyName(name);
      const dirs = checkDirections(name, directions);
      const createdAt = nowIso();
      const rows = await query(
        `INSERT INTO ${s}.studies (name, directions, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [name, JSON.stringify(dirs), createdAt],
      );
      if (rows.length === 0) throw studyExists(name);
      return { name, directions: dirs, userAttrs: {}, systemAttrs: {}, createdAt };
    },

    async getStudy(name) {
      checkStudyName(name);
      const rows = await query<StudyRow>(`SELECT * FROM ${s}.studies WHERE name = $1`, [name]);
      return rows[0] ? toInfo(rows[0]) : undefined;
    },

    async listStudies() {
      const rows = await query<StudyRow>(
        `SELECT * FROM ${s}.studies ORDER BY name COLLATE "C"`,
        [],
      );
      return rows.map(toInfo);
    },

    async deleteStudy(name) {
      checkStudyName(name);
      const rows = await query(`DELETE FROM ${s}.studies WHERE name = $1 RETURNING name`, [name]);
      if (rows.length === 0) throw studyNotFound(name);
    },

    setStudyUserAttr: (study, key, value) => setStudyAttr(study, 'user', key, value),
    setStudySystemAttr: (study, key, value) => setStudyAttr(study, 'system', key, value),

    async createTrial(study, template) {
      checkStudyName(study);
      const t = checkTemplate(study, template);
      return tx(async (c) => {
        // The row lock on the study serialises numbering; a rollback gives the number back.
        const { rows } = await c.query<{ number: number }>(
          `UPDATE ${s}.studies SET next_number = next_number + 1 WHERE name = $1
           RETURNING next_number - 1 AS number`,
          [study],
        );
        const number = rows[0]?.number;
        if (number === undefined) throw studyNotFound(study);
        await checkKinds(c, study, undefined, t.distributions ?? {});
        const trial = newTrial(number, t, nowIso());
        await c.query(
          `INSERT INTO ${s}.trials (study, number, state, data) VALUES ($1, $2, $3, $4)`,
          [study, number, trial.state, JSON.stringify(trial)],
        );
        return trial;
      });
    },

    async popWaitingTrial(study) {
      checkStudyName(study);
      return tx(async (c) => {
        const { rows } = await c.query<{ data: string }>(
          `SELECT data FROM ${s}.trials WHERE study = $1 AND state = 'waiting'
           ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [study],
        );
        if (!rows[0]) {
          if (!(await studyExistsIn(c, study))) throw studyNotFound(study);
          return undefined;
        }
        const started = startedTrial(parseStored(rows[0].data, 'trial') as FrozenTrial, nowIso());
        await saveTrial(c, study, started);
        return started;
      });
    },

    async setTrialParam(study, trial, name, value, distribution) {
      const { value: v, distribution: d } = checkParamArgs(study, trial, name, value, distribution);
      await updateTrial(study, trial, `set parameter ${name}`, async (t, c) => {
        await checkKinds(c, study, trial, { [name]: d });
        return {
          ...t,
          params: { ...t.params, [name]: v },
          distributions: { ...t.distributions, [name]: d },
        };
      });
    },

    async setTrialIntermediateValue(study, trial, step, value) {
      const { step: st, value: v } = checkReportArgs(study, trial, step, value);
      await updateTrial(study, trial, `report step ${st}`, (t) => ({
        ...t,
        intermediateValues: { ...t.intermediateValues, [String(st)]: v },
      }));
    },

    setTrialUserAttr: (study, trial, key, value) => setTrialAttr(study, trial, 'user', key, value),
    setTrialSystemAttr: (study, trial, key, value) =>
      setTrialAttr(study, trial, 'system', key, value),

    async finishTrial(study, trial, result) {
      checkTrialRef(study, trial);
      return tx(async (c) => {
        const { rows } = await c.query<{ directions: string }>(
          `SELECT directions FROM ${s}.studies WHERE name = $1`,
          [study],
        );
        if (!rows[0]) throw studyNotFound(study);
        const directions = parseStored(rows[0].directions, 'study') as StudyDirection[];
        const checked = checkResult(study, trial, directions, result);
        // The row lock makes the first finisher win: later ones see a finished trial.
        const current = await lockTrial(c, study, trial);
        assertUpdatable(study, current, `finish it as ${checked.state}`);
        return finish(c, study, current, checked);
      });
    },

    async recordHeartbeat(study, trial) {
      checkTrialRef(study, trial);
      await updateTrial(study, trial, 'record a heartbeat', (t) => ({
        ...t,
        heartbeatAt: Date.now(),
      }));
    },

    async failStaleTrials(study, graceMs) {
      checkStudyName(study);
      const grace = checkGrace(study, graceMs);
      return tx(async (c) => {
        if (!(await studyExistsIn(c, study))) throw studyNotFound(study);
        // SKIP LOCKED: a trial being finished or beating right now is not stale.
        const { rows } = await c.query<{ data: string }>(
          `SELECT data FROM ${s}.trials WHERE study = $1 AND state = 'running'
           AND heartbeat_at IS NOT NULL AND heartbeat_at < $2
           ORDER BY number FOR UPDATE SKIP LOCKED`,
          // hb < now − grace, for an integer hb, is hb < ⌈now − grace⌉ (bigint takes no fractions).
          [study, Math.ceil(Date.now() - grace)],
        );
        const failed: FrozenTrial[] = [];
        for (const row of rows) {
          const current = parseStored(row.data, 'trial') as FrozenTrial;
          failed.push(await finish(c, study, current, { state: 'fail', error: HEARTBEAT_LOST }));
        }
        return failed;
      });
    },

    async getTrial(study, trial) {
      checkTrialRef(study, trial);
      const rows = await query<{ data: string | null }>(
        `SELECT t.data FROM ${s}.studies st
         LEFT JOIN ${s}.trials t ON t.study = st.name AND t.number = $2 WHERE st.name = $1`,
        [study, trial],
      );
      if (!rows[0]) throw studyNotFound(study);
      if (rows[0].data === null) throw trialNotFound(study, trial);
      return parseStored(rows[0].data, 'trial') as FrozenTrial;
    },

    async getAllTrials(study, states) {
      checkStudyName(study);
      const filter = checkStates(study, states);
      // One statement, so the study check and the trials come from the same snapshot.
      const rows = await query<{ data: string | null }>(
        `SELECT t.data FROM ${s}.studies st
         LEFT JOIN ${s}.trials t ON t.study = st.name AND ($2::text[] IS NULL OR t.state = ANY($2))
         WHERE st.name = $1 ORDER BY t.number`,
        [study, filter ? [...filter] : null],
      );
      if (rows.length === 0) throw studyNotFound(study);
      return rows
        .filter((row): row is { data: string } => row.data !== null)
        .map((row) => parseStored(row.data, 'trial') as FrozenTrial);
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
    },
  };
}

interface StudyRow {
  name: string;
  directions: string;
  user_attrs: string;
  system_attrs: string;
  created_at: string;
}
