// Result shapes shared across @ft/validate: comparisons and gates produce them, reports and
// regression suites consume them. Plain JSON data so they can be stored and diffed.

/** Outcome of comparing a candidate with a baseline on one metric. */
export type Verdict = 'better' | 'no_significant_difference' | 'worse';

/** One sample whose score got worse than the baseline's by more than the threshold. */
export interface DegradedSample {
  /** Index into the per-sample arrays (or the caller's id when ids were given). */
  index: number;
  id?: string;
  baseline: number;
  candidate: number;
  delta: number;
}

export interface ConfidenceInterval {
  low: number;
  high: number;
  /** e.g. 0.95 */
  level: number;
  /** How it was computed: `t`, `percentile`, `bca`, … */
  method: string;
}

/** Candidate vs baseline on one metric, from paired per-sample scores (or corpus-level bootstrap). */
export interface ComparisonResult {
  metric: string;
  /** Whether larger values of the metric are better. */
  higherIsBetter: boolean;
  n: number;
  baseline: number;
  candidate: number;
  /** candidate − baseline (positive = larger). */
  delta: number;
  ci: ConfidenceInterval;
  pValue: number;
  /** Name of the test behind `pValue`, e.g. `paired-t`, `wilcoxon`, `paired-bootstrap`. */
  test: string;
  /** Cohen's d for paired samples (mean difference / sd of differences). */
  effectSize: number;
  alpha: number;
  degraded: DegradedSample[];
  verdict: Verdict;
}

/** One rule of a quality gate after evaluation. */
export interface GateRuleResult {
  /** Rule id (given, or derived like `accuracy>=0.9`). */
  id: string;
  description: string;
  passed: boolean;
  /** Why it passed or failed, in words, with the numbers. */
  reason: string;
  actual?: number;
  threshold?: number;
  /** Slice the rule applied to (e.g. a class or tag), if any. */
  slice?: string;
}

export interface GateResult {
  passed: boolean;
  rules: GateRuleResult[];
}

/** Per-class precision/recall/F1 as classification and NER reports give them. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
