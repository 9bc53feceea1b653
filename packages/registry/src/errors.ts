// The one error class of @ft/registry: a typed code, the model/version/path concerned, and a fix.

export type RegistryErrorCode =
  /** A model name, alias, tag or path is not allowed (traversal, separators, NUL, …). */
  | 'INVALID_NAME'
  /** The model, version, alias or deployment does not exist. */
  | 'NOT_FOUND'
  /** It exists already (e.g. registering a version number explicitly twice). */
  | 'ALREADY_EXISTS'
  /** An artifact is unusable: a symlink pointing outside, a special file, a missing file. */
  | 'INVALID_ARTIFACT'
  /** Stored bytes do not match their recorded sha256, or a blob is missing. */
  | 'INTEGRITY'
  /** Another process holds the registry lock for too long. */
  | 'LOCKED'
  /** Reading or writing the store failed at the OS level. */
  | 'IO_ERROR'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT';

export interface RegistryErrorDetails {
  model?: string;
  version?: number;
  path?: string;
  cause?: unknown;
}

/** Every error thrown by @ft/registry; messages read `[@ft/registry] <model> v<version> <path>: <problem>`. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  readonly model: string | undefined;
  readonly version: number | undefined;
  readonly path: string | undefined;
  readonly problem: string;

  constructor(code: RegistryErrorCode, problem: string, details: RegistryErrorDetails = {}) {
    const where = [
      details.model,
      details.version !== undefined ? `v${details.version}` : undefined,
      details.path,
    ]
      .filter((part) => part !== undefined)
      .join(' ');
    super(
      `[@ft/registry] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.model = details.model;
    this.version = details.version;
    this.path = details.path;
    this.problem = problem;
  }
}
