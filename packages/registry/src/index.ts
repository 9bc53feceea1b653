// Public API of @ft/registry.

// Errors
export { RegistryError } from './errors.js';
export type { RegistryErrorCode, RegistryErrorDetails } from './errors.js';

// Core registry: versions, manifests, aliases, tags, search, audit, integrity
export { createRegistry } from './registry.js';

// Core registry types
export type {
  AuditEvent,
  BlobProblem,
  DeleteVersionOptions,
  FileEntry,
  Lineage,
  MaterializeOptions,
  ModelSummary,
  ModelVersion,
  RecoveryReport,
  RegisterOptions,
  Registry,
  RegistryOptions,
  SearchQuery,
  Signature,
  TensorSpec,
  VerifyReport,
} from './types.js';

// Storage backends (one interface; the local filesystem is the default)
export { createLocalStore } from './stores/local-fs.js';
export type { LocalStoreOptions } from './stores/local-fs.js';
export type {
  BlobData,
  PutBlobOptions,
  PutBlobResult,
  RegistryStore,
  StoreLock,
  StoreLockOptions,
  StoreRecovery,
  WriteDocOptions,
} from './stores/types.js';

// Deployment with backup and rollback
export {
  currentDeployment,
  DEPLOYMENT_LOG,
  DEPLOYMENT_MANIFEST,
  deploy,
  deployedVersions,
  deploymentHistory,
  readDeploymentManifest,
  rollback,
} from './deploy.js';
export type {
  DeployedVersion,
  DeploymentHistoryOptions,
  DeploymentManifest,
  DeploymentRecord,
  DeployOptions,
  RollbackOptions,
} from './deploy.js';

// Retention and garbage collection
export { applyRetention, collectGarbage } from './retention.js';
export type {
  GarbageCollectionOptions,
  GarbageCollectionReport,
  KeepReason,
  RetentionOptions,
  RetentionReport,
  VersionRef,
} from './retention.js';

// Export for serving
export { exportForTransformersJs } from './export.js';
export type { ExportedFile, TransformersJsExport, TransformersJsExportOptions } from './export.js';
