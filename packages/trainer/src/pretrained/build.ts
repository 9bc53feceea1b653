// Builds the graph of a pretrained architecture with buildBert/buildGpt2; RoBERTa and XLM-R are
// buildBert graphs edited in place: padding-aware position ids, HF parameter names, HF's head.
import { TrainerError } from '../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import type { Graph, Node, TensorData } from '../ir/types.js';
import { type BertHead, buildBert } from '../models/bert.js';
import { statelessDropout } from '../models/dropout.js';
import { buildGpt2 } from '../models/gpt2.js';
import type { ModelDType, ModelGraph } from '../models/utils.js';
import { pruneGraph } from '../step/graph-utils.js';
import type { PretrainedConfig } from './config.js';

/** What sits on top of a pretrained backbone: a BERT head, or GPT-2's tied LM head. */
export type PretrainedHead = BertHead | { type: 'causal-lm' };

/** Build settings a pretrained model keeps, so it can be rebuilt (e.g. after resizing). */
export interface PretrainedBuildOptions {
  /** Build the training variant (dropout on, `dropout_seed` input). */
  training: boolean;
  /** Float type of parameters and activations. */
  dtype: ModelDType;
  /** Seed of the parameters a checkpoint does not set (new heads). */
  seed: number;
  /** BERT-family: declare the `token_type_ids` input. */
  tokenTypeIds: boolean;
  /** GPT-2: declare the `position_ids` input. */
  positionIds: boolean;
  /** BERT family with a pooled head: also output `last_hidden_state`. */
  lastHiddenState: boolean;
}

/** The parameter-name prefix of the backbone, as HF's `base_model_prefix`. */
export function backbonePrefix(config: PretrainedConfig): 'bert' | 'roberta' | 'transformer' {
  if (config.architecture === 'gpt2') return 'transformer';
  return config.architecture === 'bert' ? 'bert' : 'roberta';
}

/** The word-embedding table's parameter name. */
export function embeddingName(config: PretrainedConfig): string {
  const prefix = backbonePrefix(config);
  return prefix === 'transformer'
    ? 'transformer.wte.weight'
    : `${prefix}.embeddings.word_embeddings.weight`;
}

/** Runs `emit` and moves the nodes it appended to just before `anchor` (keeps topological order). */
function insertBefore(graph: Graph, anchor: Node, emit: () => void): void {
  const start = graph.nodes.length;
  emit();
  const added = graph.nodes.splice(start);
  graph.nodes.splice(graph.nodes.indexOf(anchor), 0, ...added);
}

function nodeReading(graph: Graph, opType: string, value: string, at = 0): Node {
  const node = graph.nodes.find((n) => n.opType === opType && n.inputs[at] === value);
  if (node === undefined) {
    // Only reachable when buildBert's layout changes: the RoBERTa edits depend on it.
    throw new TrainerError(
      'INVALID_GRAPH',
      `expected a ${opType} node reading "${value}" in the BERT graph; buildBert's layout changed, so adaptRoberta in src/pretrained/build.ts needs updating`,
    );
  }
  return node;
}

/** Renames initializers (keeping their order) and every node input that reads them. */
function renameParameters(model: ModelGraph, rename: (name: string) => string): void {
  const { graph } = model;
  const renamed = new Map<string, string>();
  const initializers = new Map<string, TensorData>();
  for (const [name, value] of graph.initializers) {
    const next = rename(name);
    if (next !== name) renamed.set(name, next);
    initializers.set(next, value);
  }
  graph.initializers = initializers;
  for (const node of graph.nodes) {
    node.inputs = node.inputs.map((i) => renamed.get(i) ?? i);
  }
  model.parameters = model.parameters.map((p) => renamed.get(p) ?? p);
}

/**
 * RoBERTa/XLM-R on a buildBert graph. (1) Positions: buildBert takes rows 0..seq−1 of the
 * position table (a Slice); RobertaEmbeddings uses cumsum(ids ≠ pad)·(ids ≠ pad) + pad, so real
 * tokens start at padding_idx + 1 and padding sits at padding_idx: the Slice becomes a Gather of
 * those ids. (2) Names: `bert.` → `roberta.`; with a sequence-classification or regression head,
 * BertPooler + classifier are the same computation as RobertaClassificationHead (dense → tanh →
 * out_proj on the first token), renamed `classifier.dense` / `classifier.out_proj`, and in training
 * graphs the head's first dropout (on the features, before `dense`) is added.
 */
function adaptRoberta(
  model: ModelGraph,
  config: PretrainedConfig,
  head: BertHead,
  dtype: ModelDType,
): void {
  const { graph } = model;
  const pad = config.padTokenId as number;
  const b: GraphBuilder = createGraphBuilder({ graph });
  const slice = nodeReading(graph, 'Slice', 'bert.embeddings.position_embeddings.weight');
  insertBefore(graph, slice, () => {
    const notPad = b.op('Not', [b.op('Equal', ['input_ids', b.scalar('int64', pad)])]);
    const real = b.op('Cast', [notPad], { to: 7 });
    const counted = b.op('Mul', [b.op('CumSum', [real, b.scalar('int64', 1)]), real]);
    const positionIds = b.op('Add', [counted, b.scalar('int64', pad)]);
    slice.opType = 'Gather';
    slice.inputs = [slice.inputs[0] as string, positionIds];
    slice.attributes = {};
  });
  pruneGraph(graph); // the Slice's start/end constants are read by nothing now

  const hfHead = head.type === 'sequence-classification' || head.type === 'regression';
  if (hfHead && model.dropoutSeed !== undefined) {
    const bert = config.bert;
    const ratio = bert?.classifier_dropout ?? bert?.hidden_dropout_prob ?? 0.1;
    const dense = nodeReading(graph, 'Gemm', 'bert.pooler.dense.weight', 1);
    const seed = model.dropoutSeed;
    insertBefore(graph, dense, () => {
      dense.inputs[0] = statelessDropout(b, dense.inputs[0] as string, ratio, seed, { dtype });
    });
  }
  renameParameters(model, (name) => {
    if (hfHead && name.startsWith('bert.pooler.dense.')) {
      return `classifier.dense.${name.slice('bert.pooler.dense.'.length)}`;
    }
    if (hfHead && name.startsWith('classifier.')) {
      return `classifier.out_proj.${name.slice('classifier.'.length)}`;
    }
    return name.startsWith('bert.') ? `roberta.${name.slice(5)}` : name;
  });
}

/** Builds the forward graph (fresh, seeded parameters) for a parsed config and head. */
export function buildPretrainedGraph(
  config: PretrainedConfig,
  head: PretrainedHead,
  options: PretrainedBuildOptions,
): ModelGraph {
  const { training, dtype, seed, tokenTypeIds, positionIds, lastHiddenState } = options;
  if (config.architecture === 'gpt2') {
    if (head.type !== 'causal-lm') {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `GPT-2 supports only head { type: 'causal-lm' } (tied LM head), got ${JSON.stringify(head.type)}`,
      );
    }
    return buildGpt2(config.gpt2 as NonNullable<PretrainedConfig['gpt2']>, {
      training,
      dtype,
      seed,
      positionIds,
    });
  }
  if (head.type === 'causal-lm') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `${config.architecture} is an encoder: pick a head of 'none', 'sequence-classification', 'regression', 'token-classification' or 'multi', not 'causal-lm'`,
    );
  }
  const model = buildBert(config.bert as NonNullable<PretrainedConfig['bert']>, {
    head,
    tokenTypeIds,
    training,
    dtype,
    seed,
    lastHiddenState,
  });
  if (config.architecture !== 'bert') adaptRoberta(model, config, head, dtype);
  return model;
}
