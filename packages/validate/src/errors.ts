// The one error class of @ft/validate: a typed code, the field or sample concerned, and a fix.

export type ValidateErrorCode =
  /** Inputs that must pair up (predictions and references, baseline and candidate) differ in length. */
  | 'LENGTH_MISMATCH'
  /** An input is empty where at least one sample (or more, as the message says) is needed. */
  | 'EMPTY_INPUT'
  /** A label that is not among the declared labels, or a tag that does not fit the tagging scheme. */
  | 'UNKNOWN_LABEL'
  /** NaN, Infinity or a non-number where a finite number is needed. */
  | 'NOT_FINITE'
  /** A gate, suite or report definition that does not follow its schema. */
  | 'INVALID_CONFIG'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT'
  /** A suite, baseline or run that does not exist. */
  | 'NOT_FOUND'
  /** Reading or writing files failed at the OS level. */
  | 'IO_ERROR';

export interface ValidateErrorDetails {
  /** The argument, config path or field concerned, e.g. `predictions[12]` or `rules[2].threshold`. */
  field?: string;
  /** The file concerned, when there is one. */
  path?: string;
  cause?: unknown;
}

/** Every error thrown by @ft/validate; messages read `[@ft/validate] <path> <field>: <problem>`. */
export class ValidateError extends Error {
  override readonly name = 'ValidateError';
  readonly code: ValidateErrorCode;
  readonly field: string | undefined;
  readonly path: string | undefined;
  readonly problem: string;

  constructor(code: ValidateErrorCode, problem: string, details: ValidateErrorDetails = {}) {
    const where = [details.path, details.field].filter((part) => part !== undefined).join(' ');
    super(
      `[@ft/validate] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.field = details.field;
    this.path = details.path;
    this.problem = problem;
  }
}
