// The one error class of @ft/hpo: a typed code, the study/trial/parameter concerned, and a fix.

export type HpoErrorCode =
  /** A search space that cannot be sampled: low > high, log with low ≤ 0, a bad step, no choices. */
  | 'INVALID_DISTRIBUTION'
  /** A parameter suggested again in the same study with a different distribution. */
  | 'INCOMPATIBLE_DISTRIBUTION'
  /** The study, trial or storage does not exist. */
  | 'NOT_FOUND'
  /** A study with this name exists already (pass `loadIfExists: true` to reuse it). */
  | 'ALREADY_EXISTS'
  /** The trial is finished (complete, pruned or failed) and cannot change any more. */
  | 'TRIAL_FINISHED'
  /** An objective returned something that is not a finite number per direction. */
  | 'INVALID_VALUE'
  /** The storage is unreachable, corrupt or locked for too long. */
  | 'STORAGE_ERROR'
  /** A function was called with options it cannot work with. */
  | 'INVALID_ARGUMENT';

export interface HpoErrorDetails {
  study?: string;
  trial?: number;
  param?: string;
  /** A file (journal) or URL (server storage) concerned. */
  path?: string;
  cause?: unknown;
}

/** Every error thrown by @ft/hpo; messages read `[@ft/hpo] study <s> trial #<n> param <p>: <problem>`. */
export class HpoError extends Error {
  override readonly name = 'HpoError';
  readonly code: HpoErrorCode;
  readonly study: string | undefined;
  readonly trial: number | undefined;
  readonly param: string | undefined;
  readonly path: string | undefined;
  readonly problem: string;

  constructor(code: HpoErrorCode, problem: string, details: HpoErrorDetails = {}) {
    const where = [
      details.path,
      details.study !== undefined ? `study ${details.study}` : undefined,
      details.trial !== undefined ? `trial #${details.trial}` : undefined,
      details.param !== undefined ? `param ${details.param}` : undefined,
    ]
      .filter((part) => part !== undefined)
      .join(' ');
    super(
      `[@ft/hpo] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.study = details.study;
    this.trial = details.trial;
    this.param = details.param;
    this.path = details.path;
    this.problem = problem;
  }
}
