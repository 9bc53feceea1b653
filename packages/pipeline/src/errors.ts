// The one error class of @ft/pipeline: a typed code, the file and YAML path concerned, and a fix.

export type PipelineErrorCode =
  /** A pipeline file, job body or option that does not follow its schema (names the path and line). */
  | 'INVALID_CONFIG'
  /** A step type, run, job or model that does not exist. */
  | 'NOT_FOUND'
  /** A step failed (after its retries); `cause` is the step's error. */
  | 'STEP_FAILED'
  /** The run or job was cancelled. */
  | 'CANCELLED'
  /** The run folder is held by another live process. */
  | 'LOCKED'
  /** A request without a valid bearer token. */
  | 'UNAUTHORIZED'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT'
  /** Reading or writing files failed at the OS level. */
  | 'IO_ERROR';

export interface PipelineErrorDetails {
  /** The config path or field concerned, e.g. `steps[2].params.epochs`, with `:line` when known. */
  field?: string;
  /** The file concerned, when there is one. */
  path?: string;
  cause?: unknown;
}

/** Every error thrown by @ft/pipeline; messages read `[@ft/pipeline] <path> <field>: <problem>`. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  readonly code: PipelineErrorCode;
  readonly field: string | undefined;
  readonly path: string | undefined;
  readonly problem: string;

  constructor(code: PipelineErrorCode, problem: string, details: PipelineErrorDetails = {}) {
    const where = [details.path, details.field].filter((part) => part !== undefined).join(' ');
    super(
      `[@ft/pipeline] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.field = details.field;
    this.path = details.path;
    this.problem = problem;
  }
}
