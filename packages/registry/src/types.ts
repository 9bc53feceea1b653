// Public types of the core registry: model versions, their manifests and lineage, the
// `Registry` interface and the options of `createRegistry`.
import type { RegistryStore } from './stores/types.js';

/** One artifact file of a version: where it goes, and the blob that holds its bytes. */
export interface FileEntry {
  /** Posix path relative to the version's root, e.g. `onnx/model.onnx`. */
  path: string;
  /** Lower-case hex sha256 of the bytes (the blob's address). */
  sha256: string;
  size: number;
}

/** Where a version came from. */
export interface Lineage {
  /** Fingerprint of the training data set (e.g. @ft/data's dataset hash). */
  datasetFingerprint?: string;
  /** The version of the same model this one was fine-tuned from. */
  parentVersion?: number;
  runId?: string;
  /** Git commit or package version of the training code. */
  codeVersion?: string;
}

/** One input or output of a model. */
export interface TensorSpec {
  name: string;
  /** `float32`, `int64`, `bool`, `string`, …; `sequence`, `map`, `optional` for non-tensors. */
  dtype: string;
  /** Fixed dims as numbers, symbolic dims as their name (`batch`), unknown dims as `'?'`. */
  shape: (number | string)[];
}

/** Inputs and outputs read from the ONNX model among a version's files. */
export interface Signature {
  /** The ONNX file it was read from. */
  file: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** A registered version of a model. */
export interface ModelVersion {
  model: string;
  /** 1, 2, 3… per model; never reused, even after a version is deleted. */
  version: number;
  /** ISO time of registration. */
  createdAt: string;
  createdBy?: string;
  /** The manifest: every file with its sha256 and size, sorted by path. */
  files: FileEntry[];
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  description?: string;
  lineage: Lineage;
  signature?: Signature;
  /** Aliases pointing at this version now, sorted. */
  aliases: string[];
}

/** A model and its current state. */
export interface ModelSummary {
  name: string;
  tags: Record<string, string>;
  /** The highest version number present; 0 when every version has been deleted. */
  latestVersion: number;
  versionCount: number;
  /** Alias → version. */
  aliases: Record<string, number>;
  /** ISO time the model was first registered. */
  createdAt: string;
}

export interface RegisterOptions {
  /**
   * The artifact files: a folder (walked recursively; symlinks inside it that point inside it
   * are stored as copies of their target, others are refused), or a map from relative posix
   * path to bytes or to the path of a file on disk.
   */
  source: string | Record<string, Uint8Array | string>;
  /** Finite numbers only. @default {} */
  metrics?: Record<string, number>;
  /** Any JSON-serialisable values. @default {} */
  params?: Record<string, unknown>;
  /** Version tags. @default {} */
  tags?: Record<string, string>;
  description?: string;
  /** @default {} */
  lineage?: Lineage;
  /** Who registers it. @default the registry's `user` */
  createdBy?: string;
}

export interface SearchQuery {
  /** Exact model name, or a pattern tested against it. */
  name?: string | RegExp;
  /** Version tags that must all be present with these values. */
  tags?: Record<string, string>;
  /** Only the version this alias points at (per model). */
  alias?: string;
  /** Only versions with this metric within [min, max] (inclusive). */
  metric?: { name: string; min?: number; max?: number };
  /** Sort by a metric; versions lacking it come last. @default model name, then newest first */
  orderBy?: { metric: string; direction: 'asc' | 'desc' };
  /** At most this many results. */
  limit?: number;
}

/** One line of the audit log. */
export interface AuditEvent {
  /** ISO time. */
  time: string;
  /** `register`, `set-alias`, `delete-alias`, `set-model-tags`, `set-version-tags`, `delete-version`, `delete-blob`, `recover`, or any action another module records (`deploy`, `rollback`, `gc`…). */
  action: string;
  model?: string;
  version?: number;
  /** Who did it, when known. */
  by?: string;
  details: Record<string, unknown>;
}

export interface DeleteVersionOptions {
  /** Why (kept in the audit log). */
  reason?: string;
  /**
   * Delete even when aliases point at the version (they are removed with it) or a deployment uses
   * it (its deployed folders stay). @default false
   */
  force?: boolean;
}

export interface MaterializeOptions {
  /** Allow a non-empty target folder; files at the version's paths are replaced. @default false */
  overwrite?: boolean;
}

/** A blob found bad by `verify()`, with the `model@vN:path` entries that use it. */
export interface BlobProblem {
  hash: string;
  paths: string[];
}

export interface VerifyReport {
  ok: boolean;
  /** Blobs whose bytes no longer hash to their address (or differ in size from the manifest). */
  corrupted: BlobProblem[];
  /** Blobs that versions reference but the store lacks. */
  missing: BlobProblem[];
  /** Manifest entries (version × file) checked. */
  checkedFiles: number;
  /** Distinct blobs rehashed, including unreferenced ones. */
  checkedBlobs: number;
}

/** What `recover()` cleaned up after crashed registrations. */
export interface RecoveryReport {
  /** Staging records of dead registrations removed. */
  abandonedRegistrations: number;
  /** Blobs only those registrations had stored, removed. */
  removedBlobs: number;
  /** Temporary files of dead writers removed by the store. */
  removedTemp: number;
  repairedLogs: number;
}

export interface RegistryOptions {
  /** Folder of the default local store (created when absent). Required unless `store` is given. */
  root?: string;
  /** A store to use instead of a local folder. @default createLocalStore({ root }) */
  store?: RegistryStore;
  /** Recorded as `by` in the audit log and as `createdBy`. @default os.userInfo().username */
  user?: string;
  /** Longest wait for the registry lock before a LOCKED error. @default 30000 */
  lockTimeoutMs?: number;
  /**
   * A registration in progress whose process cannot be checked (another host) is taken as
   * abandoned after this long. @default 86400000 (one day)
   */
  staleRegistrationMs?: number;
}

/** The model registry. Every method validates names and throws RegistryError. */
export interface Registry {
  /** The store's location (the root folder for the local store). */
  readonly root: string;
  readonly store: RegistryStore;
  /** Who is recorded as `by` in the audit log. */
  readonly user: string | undefined;

  /** Stores the files (deduplicated) and commits a new version, numbered max + 1, atomically. */
  register(model: string, options: RegisterOptions): Promise<ModelVersion>;
  /** A version by number, numeric string, alias, or `'latest'`. */
  getVersion(model: string, ref: number | string): Promise<ModelVersion>;
  /** Every version of a model, oldest first. */
  listVersions(model: string): Promise<ModelVersion[]>;
  /** Every model, sorted by name. */
  listModels(): Promise<ModelSummary[]>;
  /** Versions across models matching every given criterion. */
  search(query?: SearchQuery): Promise<ModelVersion[]>;
  /** Points `alias` at `version` in one atomic write (moving it from another version). */
  setAlias(model: string, alias: string, version: number): Promise<void>;
  deleteAlias(model: string, alias: string): Promise<void>;
  /** Merges tags into the model's tags; a value of `null` removes the tag. */
  setModelTags(model: string, tags: Record<string, string | null>): Promise<void>;
  /** Merges tags into the version's tags; a value of `null` removes the tag. */
  setVersionTags(
    model: string,
    version: number,
    tags: Record<string, string | null>,
  ): Promise<void>;
  /** One file's bytes, checked against its sha256. */
  readFile(model: string, version: number, path: string): Promise<Uint8Array>;
  /** Writes the version's files into `targetDir` (copies, hash-checked), never outside it. */
  materialize(
    model: string,
    version: number,
    targetDir: string,
    options?: MaterializeOptions,
  ): Promise<void>;
  /**
   * Removes a version (its blobs stay until garbage collection). Refuses aliased or deployed ones
   * unless forced.
   */
  deleteVersion(model: string, version: number, options?: DeleteVersionOptions): Promise<void>;
  /** Every stored blob hash. */
  listBlobs(): Promise<string[]>;
  /** Blobs referenced by some version or by a registration still in progress. */
  referencedBlobs(): Promise<Set<string>>;
  /** Removes one blob (call inside `withLock`, after `referencedBlobs`). */
  deleteBlob(hash: string): Promise<void>;
  /** Rehashes every blob and checks every manifest entry. */
  verify(): Promise<VerifyReport>;
  /** Cleans up after crashed registrations (runs at open; safe to call any time). */
  recover(): Promise<RecoveryReport>;
  /** The audit log, oldest first. */
  audit(): Promise<AuditEvent[]>;
  /** Appends an event (time set now; `by` defaults to the registry's user). */
  appendAudit(event: Omit<AuditEvent, 'time'>): Promise<void>;
  /** Runs `fn` holding the registry-wide cross-process lock; reentrant within `fn`. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
}
