// Hyperparameter importance (Optuna's get_param_importances): fANOVA — the share of the
// objective's variance explained by each parameter's marginal in a random-forest surrogate
// (Hutter et al. 2014) — and scikit-learn style mean decrease in impurity.

import { distributionsEqual, isSingle, toInternal } from '../distributions.js';
import { HpoError } from '../errors.js';
import type { Distribution, FrozenTrial, StudyView } from '../types.js';
import {
  fitRandomForest,
  impurityImportances,
  type RandomForestOptions,
  type RegressionTree,
} from './random-forest.js';

/** One parameter's importance; a result list sums to 1 and is ordered most important first. */
export interface ParamImportance {
  name: string;
  importance: number;
}

export interface EvaluateImportanceOptions {
  /** Parameters to assess. @default every parameter present with one distribution in all complete trials */
  params?: readonly string[];
  /** The value to explain; required for multi-objective studies. @default trial.values[0] */
  target?: (trial: FrozenTrial) => number;
}

/** Computes normalised importances from a study's complete trials. */
export interface ImportanceEvaluator {
  readonly name: string;
  evaluate(study: StudyView, options?: EvaluateImportanceOptions): ParamImportance[];
}

export type FanovaImportanceOptions = RandomForestOptions;
export type MeanDecreaseImpurityOptions = RandomForestOptions;

interface Encoded {
  /** Parameters that vary, in name order, and those with a single possible value. */
  names: string[];
  singles: string[];
  /** One row per usable trial; categorical parameters are one-hot columns. */
  x: number[][];
  y: number[];
  /** [low, high] per encoded column. */
  bounds: Array<[number, number]>;
  /** Encoded columns of each parameter in `names`. */
  columns: number[][];
}

/** Parameters shared with identical distributions by all complete trials (sorted by name). */
function intersectionSearchSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  let space: Record<string, Distribution> | undefined;
  for (const trial of trials) {
    if (space === undefined) {
      space = { ...trial.distributions };
      continue;
    }
    for (const [name, dist] of Object.entries(space)) {
      const other = trial.distributions[name];
      if (other === undefined || !distributionsEqual(dist, other)) delete space[name];
    }
  }
  return Object.fromEntries(
    Object.entries(space ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function encode(study: StudyView, options: EvaluateImportanceOptions): Encoded {
  const { params, target } = options;
  if (target === undefined && study.directions.length > 1) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `the study has ${study.directions.length} objectives; pass target, e.g. { target: (t) => t.values![0]! }.`,
      { study: study.name },
    );
  }
  const complete = study.trials.filter((t) => t.state === 'complete');
  if (complete.length < 2) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `parameter importances need at least 2 complete trials, got ${complete.length}; run more trials first.`,
      { study: study.name },
    );
  }
  let space: Record<string, Distribution>;
  if (params === undefined) {
    space = intersectionSearchSpace(complete);
  } else {
    space = {};
    for (const name of [...params].sort()) {
      const holder = complete.find((t) => name in t.distributions);
      if (holder === undefined) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          `no complete trial has parameter ${name}; pass names of suggested parameters.`,
          { study: study.name, param: name },
        );
      }
      const dist = holder.distributions[name] as Distribution;
      for (const t of complete) {
        const other = t.distributions[name];
        if (other !== undefined && !distributionsEqual(dist, other)) {
          throw new HpoError(
            'INVALID_ARGUMENT',
            `parameter ${name} has different distributions across trials (dynamic search space); leave it out of params.`,
            { study: study.name, param: name },
          );
        }
      }
      space[name] = dist;
    }
  }
  const names = Object.keys(space).filter((n) => !isSingle(space[n] as Distribution));
  const singles = Object.keys(space).filter((n) => isSingle(space[n] as Distribution));

  const bounds: Array<[number, number]> = [];
  const columns: number[][] = [];
  for (const name of names) {
    const dist = space[name] as Distribution;
    const start = bounds.length;
    if (dist.type === 'categorical') for (const _ of dist.choices) bounds.push([0, 1]);
    else bounds.push([dist.low, dist.high]);
    columns.push(Array.from({ length: bounds.length - start }, (_, k) => start + k));
  }

  const x: number[][] = [];
  const y: number[] = [];
  for (const trial of complete) {
    if (!names.every((n) => n in trial.params) || !singles.every((n) => n in trial.params))
      continue;
    const value = target ? target(trial) : (trial.values?.[0] ?? Number.NaN);
    if (!Number.isFinite(value)) continue;
    const row: number[] = [];
    for (const name of names) {
      const dist = space[name] as Distribution;
      const internal = toInternal(dist, trial.params[name] ?? null, {
        study: study.name,
        param: name,
      });
      if (dist.type === 'categorical') {
        for (let k = 0; k < dist.choices.length; k++) row.push(k === internal ? 1 : 0);
      } else {
        row.push(internal);
      }
    }
    x.push(row);
    y.push(value);
  }
  return { names, singles, x, y, bounds, columns };
}

function ordered(names: string[], values: number[], singles: string[]): ParamImportance[] {
  const total = values.reduce((a, b) => a + b, 0);
  const result = names.map((name, i) => ({
    name,
    importance: total > 0 ? (values[i] as number) / total : 0,
  }));
  for (const name of singles) result.push({ name, importance: 0 });
  // Stable sort keeps name order among equal importances.
  return result.sort((a, b) => b.importance - a.importance);
}

/** Volume of a box. */
function cardinality(space: ReadonlyArray<readonly [number, number]>): number {
  let v = 1;
  for (const [lo, hi] of space) v *= hi - lo;
  return v;
}

function weightedMeanAndVariance(values: number[], weights: number[]): [number, number] {
  let sw = 0;
  let swv = 0;
  values.forEach((v, i) => {
    sw += weights[i] as number;
    swv += (weights[i] as number) * v;
  });
  const mean = swv / sw;
  let swd = 0;
  values.forEach((v, i) => {
    swd += (weights[i] as number) * (v - mean) ** 2;
  });
  return [mean, swd / sw];
}

/** fANOVA view of one tree: per-node marginal statistics over the search-space box. */
class FanovaTree {
  readonly variance: number;
  readonly #tree: RegressionTree;
  readonly #bounds: Array<[number, number]>;
  /** [value, weight] per node: leaf value × box volume, averaged up the tree. */
  readonly #stats: Array<[number, number]>;
  readonly #midpoints: number[][];
  readonly #sizes: number[][];
  /** Features split on anywhere in each node's subtree. */
  readonly #subtreeFeatures: Array<Set<number>>;

  constructor(tree: RegressionTree, bounds: Array<[number, number]>) {
    this.#tree = tree;
    this.#bounds = bounds;
    const n = tree.feature.length;
    const boxes: Array<Array<[number, number]>> = new Array(n);
    boxes[0] = bounds.map(([lo, hi]) => [lo, hi]);
    this.#stats = new Array(n);
    for (let node = 0; node < n; node++) {
      const box = boxes[node] as Array<[number, number]>;
      const f = tree.feature[node] as number;
      if (f < 0) {
        this.#stats[node] = [tree.value[node] as number, cardinality(box)];
      } else {
        const [l, r] = this.#childBoxes(node, box);
        boxes[tree.left[node] as number] = l;
        boxes[tree.right[node] as number] = r;
      }
    }
    for (let node = n - 1; node >= 0; node--) {
      if ((tree.feature[node] as number) < 0) continue;
      const [lv, lw] = this.#stats[tree.left[node] as number] as [number, number];
      const [rv, rw] = this.#stats[tree.right[node] as number] as [number, number];
      const w = lw + rw;
      this.#stats[node] = [w > 0 ? (lv * lw + rv * rw) / w : (lv + rv) / 2, w];
    }

    const splits = bounds.map(() => new Set<number>());
    tree.feature.forEach((f, node) => {
      if (f >= 0) (splits[f] as Set<number>).add(tree.threshold[node] as number);
    });
    this.#midpoints = [];
    this.#sizes = [];
    splits.forEach((set, f) => {
      const [lo, hi] = bounds[f] as [number, number];
      const edges = [lo, ...[...set].sort((a, b) => a - b), hi];
      const mids: number[] = [];
      const sizes: number[] = [];
      for (let k = 1; k < edges.length; k++) {
        mids.push(0.5 * ((edges[k] as number) + (edges[k - 1] as number)));
        sizes.push((edges[k] as number) - (edges[k - 1] as number));
      }
      this.#midpoints.push(mids);
      this.#sizes.push(sizes);
    });

    this.#subtreeFeatures = new Array(n);
    for (let node = n - 1; node >= 0; node--) {
      const f = tree.feature[node] as number;
      const set = new Set<number>();
      if (f >= 0) {
        set.add(f);
        for (const g of this.#subtreeFeatures[tree.left[node] as number] as Set<number>) set.add(g);
        for (const g of this.#subtreeFeatures[tree.right[node] as number] as Set<number>)
          set.add(g);
      }
      this.#subtreeFeatures[node] = set;
    }

    const leafValues: number[] = [];
    const leafWeights: number[] = [];
    tree.feature.forEach((f, node) => {
      if (f < 0) {
        leafValues.push((this.#stats[node] as [number, number])[0]);
        leafWeights.push((this.#stats[node] as [number, number])[1]);
      }
    });
    this.variance = weightedMeanAndVariance(leafValues, leafWeights)[1];
  }

  #childBoxes(
    node: number,
    box: Array<[number, number]>,
  ): [Array<[number, number]>, Array<[number, number]>] {
    const f = this.#tree.feature[node] as number;
    const t = this.#tree.threshold[node] as number;
    const left = box.map(([lo, hi]): [number, number] => [lo, hi]);
    const right = box.map(([lo, hi]): [number, number] => [lo, hi]);
    (left[f] as [number, number])[1] = t;
    (right[f] as [number, number])[0] = t;
    return [left, right];
  }

  /** Variance of the marginal prediction over the given encoded features. */
  marginalVariance(features: readonly number[]): number {
    const values: number[] = [];
    const weights: number[] = [];
    const point = new Float64Array(features.length);
    const visit = (k: number, sizeProduct: number): void => {
      if (k === features.length) {
        const [value, weight] = this.#marginalized(features, point);
        values.push(value);
        weights.push(weight * sizeProduct);
        return;
      }
      const f = features[k] as number;
      const mids = this.#midpoints[f] as number[];
      const sizes = this.#sizes[f] as number[];
      for (let i = 0; i < mids.length; i++) {
        point[k] = mids[i] as number;
        visit(k + 1, sizeProduct * (sizes[i] as number));
      }
    };
    visit(0, 1);
    return Math.max(weightedMeanAndVariance(values, weights)[1], 0);
  }

  /**
   * Average prediction with `features` fixed at `point` and all others integrated out. Only the
   * fixed features' intervals are tracked: marginalised ones count with unit extent.
   */
  #marginalized(features: readonly number[], point: Float64Array): [number, number] {
    const tree = this.#tree;
    const k = features.length;
    const start = new Float64Array(2 * k);
    features.forEach((f, j) => {
      const [lo, hi] = this.#bounds[f] as [number, number];
      start[2 * j] = lo;
      start[2 * j + 1] = hi;
    });
    const nodes: number[] = [0];
    const boxes: Float64Array[] = [start];
    let sumW = 0;
    let sumWV = 0;
    while (nodes.length > 0) {
      const node = nodes.pop() as number;
      const box = boxes.pop() as Float64Array;
      const f = tree.feature[node] as number;
      if (f >= 0) {
        const j = features.indexOf(f);
        if (j >= 0) {
          const threshold = tree.threshold[node] as number;
          const narrowed = box.slice();
          if ((point[j] as number) <= threshold) {
            narrowed[2 * j + 1] = threshold;
            nodes.push(tree.left[node] as number);
          } else {
            narrowed[2 * j] = threshold;
            nodes.push(tree.right[node] as number);
          }
          boxes.push(narrowed);
          continue;
        }
        const below = this.#subtreeFeatures[node] as Set<number>;
        if (features.some((g) => below.has(g))) {
          nodes.push(tree.left[node] as number, tree.right[node] as number);
          boxes.push(box, box);
          continue;
        }
      }
      let volume = 1;
      for (let j = 0; j < k; j++) volume *= (box[2 * j + 1] as number) - (box[2 * j] as number);
      const [value, weight] = this.#stats[node] as [number, number];
      const w = weight / volume;
      sumW += w;
      sumWV += w * value;
    }
    return [sumWV / sumW, sumW];
  }
}

function fitOrThrow(
  data: Encoded,
  forest: RandomForestOptions,
  study: StudyView,
): RegressionTree[] {
  if (data.y.length < 2) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `only ${data.y.length} complete trial(s) have every parameter and a finite value; importances need at least 2.`,
      { study: study.name },
    );
  }
  return fitRandomForest(data.x, data.y, forest);
}

function checkForest(factory: string, options: RandomForestOptions): void {
  for (const key of ['nTrees', 'maxDepth'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `${factory}: option ${key} must be an integer ≥ 1, got ${v}.`,
      );
    }
  }
}

/** fANOVA importances (Optuna's FanovaImportanceEvaluator; default 64 trees, depth 64, seed 0). */
export function createFanovaEvaluator(options: FanovaImportanceOptions = {}): ImportanceEvaluator {
  checkForest('createFanovaEvaluator', options);
  return {
    name: 'fanova',
    evaluate(study, evaluateOptions = {}) {
      const data = encode(study, evaluateOptions);
      if (data.names.length === 0) return ordered([], [], data.singles);
      const trees = fitOrThrow(data, options, study).map((t) => new FanovaTree(t, data.bounds));
      if (trees.every((t) => t.variance === 0)) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          'every usable complete trial has the same objective value, so no parameter explains any variance.',
          { study: study.name },
        );
      }
      const importances = data.columns.map((columns) => {
        let sum = 0;
        let count = 0;
        for (const tree of trees) {
          if (tree.variance > 0) {
            sum += tree.marginalVariance(columns) / tree.variance;
            count++;
          }
        }
        return sum / count;
      });
      return ordered(data.names, importances, data.singles);
    },
  };
}

/** Mean decrease in impurity of a random forest (Optuna's MeanDecreaseImpurityImportanceEvaluator). */
export function createMeanDecreaseImpurityEvaluator(
  options: MeanDecreaseImpurityOptions = {},
): ImportanceEvaluator {
  checkForest('createMeanDecreaseImpurityEvaluator', options);
  return {
    name: 'mean-decrease-impurity',
    evaluate(study, evaluateOptions = {}) {
      const data = encode(study, evaluateOptions);
      if (data.names.length === 0) return ordered([], [], data.singles);
      const trees = fitOrThrow(data, options, study);
      const perColumn = impurityImportances(trees, data.bounds.length);
      const perParam = data.columns.map((cols) =>
        cols.reduce((s, c) => s + (perColumn[c] as number), 0),
      );
      return ordered(data.names, perParam, data.singles);
    },
  };
}

export interface ParamImportancesOptions extends EvaluateImportanceOptions {
  /** How to compute importances. @default createFanovaEvaluator() */
  evaluator?: ImportanceEvaluator;
}

/** Normalised parameter importances of a study, most important first. */
export function getParamImportances(
  study: StudyView,
  options: ParamImportancesOptions = {},
): ParamImportance[] {
  const { evaluator = createFanovaEvaluator(), ...rest } = options;
  return evaluator.evaluate(study, rest);
}
