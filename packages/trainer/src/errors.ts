// The one error class of @ft/trainer: a typed code, the node/op/file concerned, and a fix.

export type TrainerErrorCode =
  /** A graph is malformed: an undefined value, a duplicate name, a shape that cannot match. */
  | 'INVALID_GRAPH'
  /** No gradient builder exists for an op on the path from a parameter to the loss. */
  | 'UNSUPPORTED_OP'
  /** An ONNX file could not be read or written. */
  | 'ONNX_IO'
  /** ONNX Runtime rejected a model or failed while running it. */
  | 'RUNTIME'
  /** The requested execution provider is not available. */
  | 'PROVIDER_UNAVAILABLE'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT'
  /** The loss became NaN or infinite. */
  | 'NON_FINITE_LOSS'
  /** A checkpoint or weights file is missing, corrupt or does not match the model. */
  | 'CHECKPOINT';

export interface TrainerErrorDetails {
  /** The graph node the problem is at. */
  node?: string;
  /** The op type of that node. */
  op?: string;
  /** The file the problem is in. */
  file?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Every error thrown by @ft/trainer; the message reads `[@ft/trainer] <where>: <problem>`. */
export class TrainerError extends Error {
  override readonly name = 'TrainerError';
  readonly code: TrainerErrorCode;
  readonly node: string | undefined;
  readonly op: string | undefined;
  readonly file: string | undefined;
  readonly problem: string;

  constructor(code: TrainerErrorCode, problem: string, details: TrainerErrorDetails = {}) {
    const where = [
      details.file,
      details.op !== undefined ? `op ${details.op}` : undefined,
      details.node !== undefined ? `node "${details.node}"` : undefined,
    ]
      .filter((part) => part !== undefined)
      .join(' ');
    super(
      `[@ft/trainer] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.node = details.node;
    this.op = details.op;
    this.file = details.file;
    this.problem = problem;
  }
}
