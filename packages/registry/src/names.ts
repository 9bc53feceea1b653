// Validation of everything a caller names: models, aliases, tag keys and values, artifact paths,
// version numbers. Names become store keys and file paths, so the rules are strict and portable.
import { RegistryError } from './errors.js';

/**
 * Model names: 1–128 characters of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, with no
 * `..` anywhere. So a name is always one safe path segment / object-key segment on every OS.
 */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Aliases: 1–64 characters of `A-Z a-z 0-9 _ -` starting with a letter, so never a number. */
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Tag keys: 1–128 characters of `A-Z a-z 0-9 . _ : -` starting with a letter or digit, no `..`. */
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Tag values are free text (never used in a path) up to this length, without NUL. */
const MAX_TAG_VALUE_LENGTH = 5000;
/** `latest` is a version reference of its own, so it cannot be an alias. */
const RESERVED_ALIASES = new Set(['latest']);
const MAX_PATH_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;
/** Characters that are unsafe or unportable in file names (Windows-reserved, separators, controls). */
const BAD_PATH_CHAR = /[\u0000-\u001f\u007f\\:*?"<>|]/;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function assertModelName(model: unknown): asserts model is string {
  if (typeof model !== 'string' || !MODEL_NAME.test(model) || model.includes('..')) {
    throw new RegistryError(
      'INVALID_NAME',
      `model name ${show(model)} is not allowed. Use 1–128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, without '..' (no '/', '\\', spaces or NUL).`,
    );
  }
}

export function assertAlias(alias: unknown, model?: string): asserts alias is string {
  if (typeof alias !== 'string' || !ALIAS.test(alias) || RESERVED_ALIASES.has(alias)) {
    throw new RegistryError(
      'INVALID_NAME',
      `alias ${show(alias)} is not allowed. Use 1–64 characters of letters, digits, '_' and '-', starting with a letter (so it cannot be confused with a version number); 'latest' is reserved.`,
      { model },
    );
  }
}

export function assertTags(
  tags: unknown,
  where: { model?: string; version?: number },
  allowNull = false,
): asserts tags is Record<string, string | null> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `tags must be an object of string values, got ${show(tags)}.`,
      where,
    );
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEY.test(key) || key.includes('..')) {
      throw new RegistryError(
        'INVALID_NAME',
        `tag key ${show(key)} is not allowed. Use 1–128 characters of letters, digits, '.', '_', ':' and '-', starting with a letter or digit, without '..'.`,
        where,
      );
    }
    if (value === null && allowNull) continue;
    if (typeof value !== 'string') {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        `tag ${show(key)} must have a string value${allowNull ? ' (or null to remove it)' : ''}, got ${show(value)}.`,
        where,
      );
    }
    if (value.includes('\u0000') || value.length > MAX_TAG_VALUE_LENGTH) {
      throw new RegistryError(
        'INVALID_NAME',
        `tag ${show(key)} has a value with a NUL character or longer than ${MAX_TAG_VALUE_LENGTH} characters; shorten it or remove the NUL.`,
        where,
      );
    }
  }
}

export function assertVersionNumber(version: unknown, model?: string): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `version ${show(version)} is not a version number; versions are whole numbers from 1.`,
      { model },
    );
  }
}

/**
 * An artifact path: relative posix (`onnx/model.onnx`), no empty, `.` or `..` segment, no
 * leading `/`, no backslash, drive letter, control character or Windows-reserved character,
 * segments up to 255 and the whole up to 1024 characters. Returns the path unchanged.
 */
export function assertArtifactPath(path: unknown, where: { model?: string; version?: number }) {
  const problem = artifactPathProblem(path);
  if (problem !== undefined) {
    throw new RegistryError(
      'INVALID_NAME',
      `artifact path ${show(path)} is not allowed: ${problem}. Use a relative path with '/' separators inside the model folder.`,
      where,
    );
  }
  return path as string;
}

function artifactPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'it is empty or not a string';
  if (path.length > MAX_PATH_LENGTH) return `it is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith('/')) return 'it is absolute';
  if (BAD_PATH_CHAR.test(path)) {
    return "it contains a backslash, ':', a control character (NUL included) or one of * ? \" < > |";
  }
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return "it has an empty, '.' or '..' segment";
    }
    if (segment.length > MAX_SEGMENT_LENGTH) {
      return `a segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
    }
  }
  return undefined;
}
