// Seeded dataset splits and k-fold cross-validation.
export { kFold } from './kfold.js';
export { splitDataset } from './split.js';
export type { Fold, KFoldOptions, SplitKey, SplitOptions, SplitResult } from './types.js';
