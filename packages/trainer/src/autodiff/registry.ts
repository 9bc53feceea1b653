// The gradient-builder registry: op type → builder. Each group file under grads/ exports a
// `xxxGradients` record; importing this module registers them all.
import { elementwiseGradients } from './grads/elementwise.js';
import { linalgGradients } from './grads/linalg.js';
import { nnGradients } from './grads/nn.js';
import { reduceGradients } from './grads/reduce.js';
import { shapeGradients } from './grads/shape.js';
import type { GradientBuilder } from './types.js';

/**
 * Builders keyed by op type for the default ONNX domain (`'Add'`), and by `'<domain>:<op>'`
 * for other domains (`'com.microsoft:FastGelu'`); see {@link gradientKey}.
 */
export const gradientBuilders = new Map<string, GradientBuilder>();

/** The registry key of an op: the bare op type in the default domain, else `domain:opType`. */
export function gradientKey(opType: string, domain = ''): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

/** Adds (or replaces) builders; keys as in {@link gradientBuilders}. */
export function registerGradients(record: Record<string, GradientBuilder>): void {
  for (const [key, builder] of Object.entries(record)) gradientBuilders.set(key, builder);
}

registerGradients(elementwiseGradients);
registerGradients(linalgGradients);
registerGradients(nnGradients);
registerGradients(shapeGradients);
registerGradients(reduceGradients);
