// "Did the metric improve?" bookkeeping shared by early stopping and best-checkpoint tracking,
// with JSON-safe state so a resumed run continues the same counters.

export interface ImprovementState {
  /** Best value seen, null before the first evaluation. */
  best: number | null;
  /** Step at which `best` was seen. */
  bestStep: number | null;
  /** Evaluations in a row without improvement since `best`. */
  badEvaluations: number;
}

export interface ImprovementTracker {
  /** Records one value; returns true when it improves on the best by more than the threshold. */
  record(value: number, step: number): boolean;
  state(): ImprovementState;
  restore(state: ImprovementState): void;
}

/** 'min': improved when value < best − threshold; 'max': value > best + threshold. */
export function createImprovementTracker(options: {
  mode: 'min' | 'max';
  threshold: number;
}): ImprovementTracker {
  const { mode, threshold } = options;
  let state: ImprovementState = { best: null, bestStep: null, badEvaluations: 0 };
  return {
    record(value, step) {
      const improved =
        !Number.isNaN(value) &&
        (state.best === null ||
          (mode === 'min' ? value < state.best - threshold : value > state.best + threshold));
      state = improved
        ? { best: value, bestStep: step, badEvaluations: 0 }
        : { ...state, badEvaluations: state.badEvaluations + 1 };
      return improved;
    },
    state: () => ({ ...state }),
    restore(saved) {
      state = { ...saved };
    },
  };
}
