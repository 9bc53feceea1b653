// Hugging Face transformers' learning-rate multipliers (transformers/optimization.py, the
// `_get_*_lr_lambda` functions behind get_scheduler), transcribed formula by formula.

/** Resolved schedule parameters; `λ(step)` multiplies the base learning rate. */
export interface LambdaParams {
  totalSteps: number;
  warmupSteps: number;
  numCycles: number;
  power: number;
  /** lr_end / lr_init (polynomial). */
  endRatio: number;
  timescale: number;
}

/** `current_step / max(1, num_warmup_steps)`: HF's linear warmup, shared by every schedule. */
function warmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}

/** Progress through the decay phase, (step − warmup) / max(1, total − warmup). */
function progress(step: number, p: LambdaParams): number {
  return (step - p.warmupSteps) / Math.max(1, p.totalSteps - p.warmupSteps);
}

/** get_constant_schedule_with_warmup (get_constant_schedule when warmup is 0). */
function constant(step: number, p: LambdaParams): number {
  return step < p.warmupSteps ? warmup(step, p.warmupSteps) : 1;
}

/** get_linear_schedule_with_warmup: max(0, (total − step) / max(1, total − warmup)). */
function linear(step: number, p: LambdaParams): number {
  if (step < p.warmupSteps) return warmup(step, p.warmupSteps);
  return Math.max(0, (p.totalSteps - step) / Math.max(1, p.totalSteps - p.warmupSteps));
}

/** get_cosine_schedule_with_warmup: max(0, ½(1 + cos(π·num_cycles·2·progress))). */
function cosine(step: number, p: LambdaParams): number {
  if (step < p.warmupSteps) return warmup(step, p.warmupSteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * p.numCycles * 2 * progress(step, p))));
}

/** get_cosine_with_hard_restarts_schedule_with_warmup: ½(1 + cos(π·((num_cycles·progress) mod 1))). */
function cosineWithRestarts(step: number, p: LambdaParams): number {
  if (step < p.warmupSteps) return warmup(step, p.warmupSteps);
  const t = progress(step, p);
  if (t >= 1) return 0;
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((p.numCycles * t) % 1))));
}

/**
 * get_polynomial_decay_schedule_with_warmup: (lr_init − lr_end)·(1 − (step − warmup)/(total −
 * warmup))^power + lr_end, divided by lr_init; lr_end / lr_init after total.
 */
function polynomial(step: number, p: LambdaParams): number {
  if (step < p.warmupSteps) return warmup(step, p.warmupSteps);
  if (step > p.totalSteps) return p.endRatio;
  const decaySteps = p.totalSteps - p.warmupSteps;
  const remaining = 1 - (step - p.warmupSteps) / decaySteps;
  return (1 - p.endRatio) * remaining ** p.power + p.endRatio;
}

/** get_inverse_sqrt_schedule: 1/√((step + timescale − warmup) / timescale) after warmup. */
function inverseSqrt(step: number, p: LambdaParams): number {
  if (step < p.warmupSteps) return warmup(step, p.warmupSteps);
  const shift = p.timescale - p.warmupSteps;
  return 1 / Math.sqrt((step + shift) / p.timescale);
}

/** Every schedule by its Hugging Face `lr_scheduler_type` name. */
export const scheduleLambdas = {
  constant,
  constant_with_warmup: constant,
  linear,
  cosine,
  cosine_with_restarts: cosineWithRestarts,
  polynomial,
  inverse_sqrt: inverseSqrt,
} as const satisfies Record<string, (step: number, p: LambdaParams) => number>;

export type ScheduleName = keyof typeof scheduleLambdas;

/** Schedules whose formula reads the total step count. */
export const NEEDS_TOTAL: ReadonlySet<ScheduleName> = new Set<ScheduleName>([
  'linear',
  'cosine',
  'cosine_with_restarts',
  'polynomial',
]);
