// The storage interface behind the registry: content-addressed blobs, small JSON documents,
// append-only logs and a lock. Keys only (no paths, no rename): atomicity is each store's job.

/** Bytes to store as a blob: all at once, or streamed (large artifacts). */
export type BlobData = Uint8Array | AsyncIterable<Uint8Array>;

/** What `putBlob` stored. */
export interface PutBlobResult {
  /** Lower-case hex sha256 of the bytes: the blob's address. */
  sha256: string;
  size: number;
  /** False when a blob with this hash was already stored (the bytes were not written again). */
  created: boolean;
}

export interface PutBlobOptions {
  /**
   * The hash the caller computed beforehand; the store rehashes while writing and refuses
   * (INTEGRITY) to store bytes that do not match, e.g. a source file changed mid-register.
   */
  expectedSha256?: string;
}

export interface WriteDocOptions {
  /** Create only: write nothing and return false when the key exists already. @default false */
  ifAbsent?: boolean;
}

export interface StoreLockOptions {
  /** Give up with a LOCKED RegistryError after waiting this long. @default 30000 */
  timeoutMs?: number;
}

/** A held store lock. */
export interface StoreLock {
  release(): Promise<void>;
}

/** What `recover()` cleaned up after interrupted writes. */
export interface StoreRecovery {
  /** Temporary files/uploads of writers that are gone, removed. */
  removedTemp: number;
  /** Logs whose torn last record (a crash mid-append) was cut off. */
  repairedLogs: number;
}

/**
 * A registry store. Keys are `/`-separated segments of `[A-Za-z0-9._-]` (no `..`, no empty
 * segment, no leading `/`); every implementation validates them and rejects others with
 * INVALID_NAME. Writes are atomic: a reader sees the old value or the new one, never a part.
 */
export interface RegistryStore {
  /** Where the store lives, for messages (a folder, a bucket URL). */
  readonly location: string;

  /** Stores bytes under their sha256, once: storing the same bytes again writes nothing. */
  putBlob(data: BlobData, options?: PutBlobOptions): Promise<PutBlobResult>;
  hasBlob(sha256: string): Promise<boolean>;
  /** The whole blob; NOT_FOUND when absent. */
  getBlob(sha256: string): Promise<Uint8Array>;
  /** The blob as a stream of chunks; NOT_FOUND (on first read) when absent. */
  readBlob(sha256: string): AsyncIterable<Uint8Array>;
  /** Size in bytes, or undefined when absent. */
  blobSize(sha256: string): Promise<number | undefined>;
  /**
   * Writes the blob's bytes to a new local file at `filePath` (which must not exist). Local
   * stores may clone (reflink) rather than copy; they never hard-link, so editing the written
   * file cannot change the stored blob.
   */
  copyBlobToFile(sha256: string, filePath: string): Promise<void>;
  /** Removes a blob; returns false when it was absent. */
  deleteBlob(sha256: string): Promise<boolean>;
  /** Every stored blob hash, sorted. */
  listBlobs(): Promise<string[]>;

  /** The JSON document at `key`, or undefined when absent; INTEGRITY when it is not valid JSON. */
  readDoc(key: string): Promise<unknown>;
  /** Writes a JSON document atomically; returns false only when `ifAbsent` and it exists. */
  writeDoc(key: string, value: unknown, options?: WriteDocOptions): Promise<boolean>;
  /** Removes a document; returns false when it was absent. */
  deleteDoc(key: string): Promise<boolean>;
  /** Keys of the documents directly under `prefix` (which ends with `/`, or is ''), sorted. */
  listDocs(prefix: string): Promise<string[]>;
  /** Names of the sub-prefixes ("folders") directly under `prefix`, sorted, without slashes. */
  listPrefixes(prefix: string): Promise<string[]>;

  /** Appends one JSON record to the log `name` durably (fsync before returning). */
  appendLog(name: string, record: unknown): Promise<void>;
  /** Every record of the log `name` in append order; [] when the log does not exist. */
  readLog(name: string): Promise<unknown[]>;

  /** Takes the cross-process lock `name`, waiting while another holder has it. Not reentrant. */
  lock(name: string, options?: StoreLockOptions): Promise<StoreLock>;
  /** Removes leftovers of writers that died mid-write (temporary files, torn log tails). */
  recover(): Promise<StoreRecovery>;
}
