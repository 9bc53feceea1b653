// The one error class of @ft/tokenize: a typed code, the file/field concerned, and a fix.

export type TokenizeErrorCode =
  /** A tokenizer file is missing. */
  | 'FILE_NOT_FOUND'
  /** A tokenizer file is not valid JSON or not a tokenizer this library understands. */
  | 'INVALID_TOKENIZER'
  /** A special token is not in the vocabulary, or a needed one (pad, eos…) is not defined. */
  | 'UNKNOWN_TOKEN'
  /** Rendering a chat template failed or the template is malformed. */
  | 'TEMPLATE_ERROR'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT'
  /** Training a tokenizer failed. */
  | 'TRAINING_FAILED';

export interface TokenizeErrorDetails {
  /** The file the problem is in. */
  file?: string;
  /** The field, key or option the problem is in. */
  field?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Every error thrown by @ft/tokenize; the message reads `[@ft/tokenize] <file> field "<field>": <problem>`. */
export class TokenizeError extends Error {
  override readonly name = 'TokenizeError';
  readonly code: TokenizeErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;
  /** The problem alone, without the location prefix. */
  readonly problem: string;

  constructor(code: TokenizeErrorCode, problem: string, details: TokenizeErrorDetails = {}) {
    let where = details.file ?? '';
    if (details.field !== undefined) where += `${where ? ' ' : ''}field "${details.field}"`;
    super(
      `[@ft/tokenize] ${where ? `${where}: ` : ''}${problem}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.file = details.file;
    this.field = details.field;
    this.problem = problem;
  }
}
