// A small seeded random forest of CART regression trees (squared error, bootstrap samples, all
// features tried at every split, like scikit-learn's RandomForestRegressor defaults), kept as
// flat arrays so the fANOVA and impurity evaluators can walk the trees.

import { createRng, type Rng } from '@ft/data';

/** One fitted regression tree; node 0 is the root and children always follow their parent. */
export interface RegressionTree {
  /** Split feature per node, -1 for a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Mean target of the node's samples. */
  value: number[];
  /** Mean squared deviation of the node's samples. */
  impurity: number[];
  /** Samples (bootstrap copies counted) reaching the node. */
  nSamples: number[];
}

export interface RandomForestOptions {
  /** Number of trees. @default 64 */
  nTrees?: number;
  /** Maximum depth of a tree. @default 64 */
  maxDepth?: number;
  /** Seed of the bootstrap samples and feature orders. @default 0 */
  seed?: number;
}

// Values closer than this are one value, as in scikit-learn's splitter.
const FEATURE_THRESHOLD = 1e-7;

function buildTree(
  x: readonly (readonly number[])[],
  y: readonly number[],
  sample: number[],
  maxDepth: number,
  rng: Rng,
): RegressionTree {
  const tree: RegressionTree = {
    feature: [],
    threshold: [],
    left: [],
    right: [],
    value: [],
    impurity: [],
    nSamples: [],
  };
  const nFeatures = x[0]?.length ?? 0;

  const grow = (indices: number[], depth: number): number => {
    const node = tree.feature.length;
    let sum = 0;
    let sumSq = 0;
    for (const i of indices) {
      const v = y[i] as number;
      sum += v;
      sumSq += v * v;
    }
    const n = indices.length;
    const mean = sum / n;
    const impurity = Math.max(sumSq / n - mean * mean, 0);
    tree.feature.push(-1);
    tree.threshold.push(Number.NaN);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(mean);
    tree.impurity.push(impurity);
    tree.nSamples.push(n);
    if (depth >= maxDepth || n < 2 || impurity <= 1e-12) return node;

    // Maximising sumL²/nL + sumR²/nR minimises the children's squared error.
    let bestProxy = (sum * sum) / n;
    let bestFeature = -1;
    let bestThreshold = 0;
    let bestSorted: number[] = [];
    let bestPos = 0;
    const features = rng.shuffle(Array.from({ length: nFeatures }, (_, f) => f));
    for (const f of features) {
      const sorted = [...indices].sort((a, b) => (x[a] as number[])[f]! - (x[b] as number[])[f]!);
      let sumLeft = 0;
      for (let pos = 0; pos < n - 1; pos++) {
        const i = sorted[pos] as number;
        sumLeft += y[i] as number;
        const here = (x[i] as number[])[f]!;
        const next = (x[sorted[pos + 1] as number] as number[])[f]!;
        if (next <= here + FEATURE_THRESHOLD) continue;
        const nLeft = pos + 1;
        const sumRight = sum - sumLeft;
        const proxy = (sumLeft * sumLeft) / nLeft + (sumRight * sumRight) / (n - nLeft);
        if (proxy > bestProxy + 1e-12 * Math.abs(bestProxy)) {
          bestProxy = proxy;
          bestFeature = f;
          let threshold = (here + next) / 2;
          if (threshold === next) threshold = here;
          bestThreshold = threshold;
          bestSorted = sorted;
          bestPos = nLeft;
        }
      }
    }
    if (bestFeature < 0) return node;
    tree.feature[node] = bestFeature;
    tree.threshold[node] = bestThreshold;
    tree.left[node] = grow(bestSorted.slice(0, bestPos), depth + 1);
    tree.right[node] = grow(bestSorted.slice(bestPos), depth + 1);
    return node;
  };

  grow(sample, 0);
  return tree;
}

/** Fits `nTrees` trees, each on a bootstrap sample of the rows of `x`. */
export function fitRandomForest(
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: RandomForestOptions = {},
): RegressionTree[] {
  const { nTrees = 64, maxDepth = 64, seed = 0 } = options;
  const rng = createRng(seed);
  const trees: RegressionTree[] = [];
  for (let t = 0; t < nTrees; t++) {
    const sample = Array.from({ length: y.length }, () => rng.int(y.length));
    trees.push(buildTree(x, y, sample, maxDepth, rng));
  }
  return trees;
}

/** Predicts one row with one tree. */
export function predictTree(tree: RegressionTree, row: readonly number[]): number {
  let node = 0;
  while (tree.feature[node] !== -1) {
    const f = tree.feature[node] as number;
    node =
      (row[f] as number) <= (tree.threshold[node] as number)
        ? (tree.left[node] as number)
        : (tree.right[node] as number);
  }
  return tree.value[node] as number;
}

/**
 * scikit-learn's `feature_importances_`: per tree the weighted impurity decrease of each feature,
 * normalised to sum 1, averaged over trees and normalised again.
 */
export function impurityImportances(trees: readonly RegressionTree[], nFeatures: number): number[] {
  const total = new Array<number>(nFeatures).fill(0);
  for (const tree of trees) {
    const decrease = new Array<number>(nFeatures).fill(0);
    tree.feature.forEach((f, node) => {
      if (f < 0) return;
      const l = tree.left[node] as number;
      const r = tree.right[node] as number;
      decrease[f] =
        (decrease[f] as number) +
        (tree.nSamples[node] as number) * (tree.impurity[node] as number) -
        (tree.nSamples[l] as number) * (tree.impurity[l] as number) -
        (tree.nSamples[r] as number) * (tree.impurity[r] as number);
    });
    const s = decrease.reduce((a, b) => a + b, 0);
    if (s > 0) {
      decrease.forEach((d, f) => {
        total[f] = (total[f] as number) + d / s;
      });
    }
  }
  const s = total.reduce((a, b) => a + b, 0);
  return s > 0 ? total.map((v) => v / s) : total;
}
