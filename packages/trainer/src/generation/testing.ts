// Test fixtures of the generation tests: the tiny GPT-2 that fixtures/reference.py builds in
// PyTorch, and that script's reference outputs.
import { readFileSync } from 'node:fs';
import type { Gpt2Config } from '../models/gpt2.js';

/** The GPT-2 of fixtures/reference.py (weights: models/testing's loadReferenceWeights). */
export const TINY_GPT2: Gpt2Config = {
  vocab_size: 50,
  n_positions: 32,
  n_embd: 16,
  n_layer: 2,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
};

/** One case of fixtures/reference.json: the feeds and PyTorch's outputs (flat, row-major). */
export interface ReferenceCase {
  input_ids: number[][];
  attention_mask: number[][];
  position_ids: number[][];
  logits: number[];
  present_0_key?: number[];
  present_1_value?: number[];
  present_1_key?: number[];
}

/** PyTorch's outputs for a left-padded prompt batch, one cached step after it, and packed rows. */
export function readReference(): Record<'prompt' | 'step' | 'packed', ReferenceCase> {
  const url = new URL('./fixtures/reference.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<
    'prompt' | 'step' | 'packed',
    ReferenceCase
  >;
}
