// Retrain trigger policies (plain JSON/YAML objects validated with zod) and their evaluation
// against an @ft/data feedback store, skipping feedback an earlier retrain already consumed.
import { canonicalJson, type FeedbackStore } from '@ft/data';
import { z } from 'zod';
import { PipelineError } from '../errors.js';

const windowSchema = z.union([
  /** The last N corrections (reviewed predictions) not consumed yet. */
  z.strictObject({ records: z.number().int().min(1) }),
  /** Predictions of the last T hours (and since the last retrain). */
  z.strictObject({ hours: z.number().gt(0) }),
]);

export const triggerPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({
    /** Fires when at least `count` new corrections disagree with the prediction. */
    type: z.literal('min-errors'),
    count: z.number().int().min(1),
  }),
  z.strictObject({
    /** Fires when at least `count` new predictions were corrected (agreeing or not). */
    type: z.literal('min-corrections'),
    count: z.number().int().min(1),
  }),
  z.strictObject({
    /** Fires when the error rate over `window` reaches `threshold`. */
    type: z.literal('error-rate'),
    threshold: z.number().gt(0).max(1),
    window: windowSchema,
    /** Labeled cases the window needs before its rate counts. @default 1 */
    minLabeled: z.number().int().min(1).default(1),
    /** Only predictions of this model version. @default every version */
    modelVersion: z.string().min(1).optional(),
  }),
  z.strictObject({
    /** Fires every `everyHours` since the last retrain (or since the loop started). */
    type: z.literal('schedule'),
    everyHours: z.number().gt(0),
    /** Only fire when there is at least one new correction to learn from. @default true */
    requireNewData: z.boolean().default(true),
  }),
]);

/** A trigger policy after validation (defaults filled in). */
export type TriggerPolicy = z.infer<typeof triggerPolicySchema>;
/** A trigger policy as written in JSON/YAML. */
export type TriggerPolicyInput = z.input<typeof triggerPolicySchema>;

/** What earlier retrains consumed, so the same feedback does not trigger twice. */
export interface TriggerState {
  /** Prediction ids whose corrections went into a retrain dataset. */
  consumedIds: string[];
  /** ISO time of the last retrain trigger, if any. */
  lastRetrainAt?: string;
  /** ISO time the loop first ran: schedules count from here before the first retrain. */
  startedAt: string;
}

export interface TriggerDecision {
  fire: boolean;
  /** One line per policy that fired, saying why. */
  reasons: string[];
  /** Prediction ids of the corrections not consumed yet (what a retrain would learn from). */
  newIds: string[];
}

export interface EvaluateTriggersOptions {
  /** Current time in epoch milliseconds. @default Date.now() */
  now?: number;
}

/** Validates policies (an array of plain objects); errors name `policies[i].<field>`. */
export function parseTriggerPolicies(raw: unknown, field = 'policies'): TriggerPolicy[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new PipelineError(
      'INVALID_CONFIG',
      'give at least one trigger policy (min-errors, min-corrections, error-rate or schedule).',
      { field },
    );
  }
  return raw.map((policy, index) => {
    const result = triggerPolicySchema.safeParse(policy);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = [field, `[${index}]`, ...(issue?.path ?? []).map((p) => `.${String(p)}`)].join('');
    const keys = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new PipelineError(
      'INVALID_CONFIG',
      `${issue?.message ?? 'invalid policy'}${keys}; fix this trigger policy.`,
      { field: path, cause: result.error },
    );
  });
}

interface Reviewed {
  id: string;
  wrong: boolean;
}

/** The latest correction of each corrected prediction, oldest first, marked right or wrong. */
async function reviewedCases(store: FeedbackStore): Promise<Reviewed[]> {
  const latest = new Map<string, Reviewed>();
  for (const c of await store.corrections()) {
    latest.delete(c.id);
    latest.set(c.id, {
      id: c.id,
      wrong: canonicalJson(c.correction) !== canonicalJson(c.prediction),
    });
  }
  return [...latest.values()];
}

/**
 * Decides whether to retrain: every policy is checked and the reasons of those that fire are
 * returned. Corrections of predictions in `state.consumedIds` are never counted again.
 */
export async function evaluateTriggers(
  store: FeedbackStore,
  policies: readonly TriggerPolicy[],
  state: TriggerState,
  options: EvaluateTriggersOptions = {},
): Promise<TriggerDecision> {
  const { now = Date.now() } = options;
  const consumed = new Set(state.consumedIds);
  const fresh = (await reviewedCases(store)).filter((c) => !consumed.has(c.id));
  const errors = fresh.filter((c) => c.wrong).length;
  const lastMs = state.lastRetrainAt === undefined ? undefined : Date.parse(state.lastRetrainAt);
  const reasons: string[] = [];
  for (const policy of policies) {
    switch (policy.type) {
      case 'min-errors':
        if (errors >= policy.count) {
          reasons.push(`min-errors: ${errors} new errors >= ${policy.count}`);
        }
        break;
      case 'min-corrections':
        if (fresh.length >= policy.count) {
          reasons.push(`min-corrections: ${fresh.length} new corrections >= ${policy.count}`);
        }
        break;
      case 'error-rate': {
        if ('records' in policy.window) {
          if (policy.modelVersion !== undefined) {
            const byVersion = await store.corrections({ modelVersion: policy.modelVersion });
            const ids = new Set(byVersion.map((c) => c.id));
            const window = fresh.filter((c) => ids.has(c.id)).slice(-policy.window.records);
            pushRate(reasons, policy, window, `last ${policy.window.records} new corrections`);
          } else {
            const window = fresh.slice(-policy.window.records);
            pushRate(reasons, policy, window, `last ${policy.window.records} new corrections`);
          }
        } else {
          const windowStart = now - policy.window.hours * 3_600_000;
          const since = lastMs === undefined ? windowStart : Math.max(windowStart, lastMs);
          // `until` is exclusive: +1 ms keeps feedback recorded at this very millisecond.
          const stats = await store.stats({
            since,
            until: now + 1,
            ...(policy.modelVersion !== undefined ? { modelVersion: policy.modelVersion } : {}),
          });
          if (stats.labeled >= policy.minLabeled && (stats.errorRate ?? 0) >= policy.threshold) {
            reasons.push(
              `error-rate: ${stats.errors}/${stats.labeled} = ${round(stats.errorRate ?? 0)} >= ${policy.threshold} over the last ${policy.window.hours} h`,
            );
          }
        }
        break;
      }
      case 'schedule': {
        const from = lastMs ?? Date.parse(state.startedAt);
        const due = now - from >= policy.everyHours * 3_600_000;
        if (due && (!policy.requireNewData || fresh.length > 0)) {
          reasons.push(
            `schedule: ${round((now - from) / 3_600_000)} h since ${lastMs === undefined ? 'the loop started' : 'the last retrain'} >= ${policy.everyHours} h`,
          );
        }
        break;
      }
    }
  }
  return { fire: reasons.length > 0, reasons, newIds: fresh.map((c) => c.id) };
}

function pushRate(
  reasons: string[],
  policy: Extract<TriggerPolicy, { type: 'error-rate' }>,
  window: readonly Reviewed[],
  label: string,
): void {
  if (window.length < policy.minLabeled) return;
  const wrong = window.filter((c) => c.wrong).length;
  const rate = wrong / window.length;
  if (rate >= policy.threshold) {
    reasons.push(
      `error-rate: ${wrong}/${window.length} = ${round(rate)} >= ${policy.threshold} over the ${label}`,
    );
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
