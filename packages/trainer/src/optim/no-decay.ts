// Which parameters skip weight decay, by Hugging Face parameter naming.
/**
 * True for biases and normalisation weights, which Hugging Face's Trainer excludes from weight
 * decay. Patterns (names as in `model.safetensors`):
 * - contains `bias` — any bias (`…attention.self.query.bias`, `…c_attn.bias`); a substring test,
 *   as the Trainer's own `"bias" not in name`;
 * - contains `LayerNorm.weight` — BERT-style (`bert.embeddings.LayerNorm.weight`);
 * - contains `layer_norm` — BART/T5/Whisper-style (`…self_attn_layer_norm.weight`);
 * - a dot-separated segment starting with `ln_` — GPT-2 (`transformer.h.0.ln_1.weight`, `ln_f`);
 * - ends with `norm.weight`, any case — LLaMA/Mistral RMSNorm and friends
 *   (`model.norm.weight`, `…input_layernorm.weight`, `…post_attention_layernorm.weight`).
 */
export function defaultNoDecay(paramName: string): boolean {
  return (
    paramName.includes('bias') ||
    paramName.includes('LayerNorm.weight') ||
    paramName.includes('layer_norm') ||
    paramName.split('.').some((segment) => segment.startsWith('ln_')) ||
    paramName.toLowerCase().endsWith('norm.weight')
  );
}
