// Declarative quality-gate rules: the zod schema that validates them (from code, JSON or YAML)
// and the rule types inferred from it.
import { z } from 'zod';

const common = {
  /** Rule id shown in results; derived from the rule (e.g. `accuracy>=0.9`) when absent. */
  id: z.string().min(1).optional(),
  /** Human description shown in results. */
  description: z.string().optional(),
  /** Metric name, a key of `metrics` (or of each slice's metrics). */
  metric: z.string().min(1),
};

/** Slices a rule applies to: `all` slices given, or the listed slice names. */
const sliceSelector = z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]);

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

/** Absolute threshold: `metric op threshold` with `op` one of `>=`, `<=`, `>`, `<`. */
export const thresholdRuleSchema = z.strictObject({
  type: z.literal('threshold'),
  ...common,
  op: z.enum(['>=', '<=', '>', '<']),
  threshold: finite,
  /** Apply per slice instead of to the overall metrics. */
  slices: sliceSelector.optional(),
});

/** Maximum regression vs the baseline metrics, absolute (metric units) or relative (fraction). */
export const regressionRuleSchema = z.strictObject({
  type: z.literal('max-regression'),
  ...common,
  threshold: finite.refine((v) => v >= 0, { message: 'must be ≥ 0 (the largest allowed drop)' }),
  /** Threshold is a fraction of the baseline value (0.02 = 2%) instead of metric units. @default false */
  relative: z.boolean().optional(),
  /** Whether a larger metric is better, which decides the direction of a drop. @default true */
  higherIsBetter: z.boolean().optional(),
  /** Apply per slice, against the same slice of the baseline. */
  slices: sliceSelector.optional(),
});

/** Required significance of the comparison with the baseline on `metric`. */
export const significanceRuleSchema = z.strictObject({
  type: z.literal('significance'),
  ...common,
  /** `better`: significantly better; `not_worse`: not significantly worse. */
  require: z.enum(['better', 'not_worse']),
  /** Significance level; the comparison's own alpha when absent. */
  alpha: z.number().gt(0).lt(1).optional(),
});

/** Maximum share (0–1) of samples that the comparison found degraded. */
export const degradedRuleSchema = z.strictObject({
  type: z.literal('max-degraded'),
  ...common,
  threshold: finite.refine((v) => v >= 0 && v <= 1, { message: 'must be a share between 0 and 1' }),
});

export const gateRuleSchema = z.discriminatedUnion('type', [
  thresholdRuleSchema,
  regressionRuleSchema,
  significanceRuleSchema,
  degradedRuleSchema,
]);

/** A gate file: `{ rules: [...] }`. */
export const gateConfigSchema = z.strictObject({
  /** Optional gate name. */
  name: z.string().optional(),
  rules: z.array(gateRuleSchema).min(1),
});

export type ThresholdRule = z.infer<typeof thresholdRuleSchema>;
export type RegressionRule = z.infer<typeof regressionRuleSchema>;
export type SignificanceRule = z.infer<typeof significanceRuleSchema>;
export type DegradedRule = z.infer<typeof degradedRuleSchema>;
/** One quality-gate rule. */
export type GateRule = z.infer<typeof gateRuleSchema>;
/** A set of rules as written in a gate file. */
export type GateConfig = z.infer<typeof gateConfigSchema>;
/** Rule kinds, derived from the schema. */
export type GateRuleType = GateRule['type'];
