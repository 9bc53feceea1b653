// Summarises ONNX Runtime profile files (Chrome-trace JSON written with enableProfiling): kernel
// time per op type over the timed runs, so the benchmark can say where a step's time goes.
import { readFileSync } from 'node:fs';

/** One node's kernel event, as the classifier sees it. */
export interface KernelEvent {
  /** Node name (ONNX Runtime keeps ours; nodes it fuses or inserts get new names). */
  node: string;
  op: string;
  /** Element types of the node's inputs and outputs ('float', 'int64', 'uint32', 'bool', …). */
  types: string[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: {
    op_name?: string;
    input_type_shape?: Array<Record<string, number[]>>;
    output_type_shape?: Array<Record<string, number[]>>;
  };
}

export interface OrtProfileSummary {
  /** Timed runs the summary covers (warm-up runs are skipped). */
  runs: number;
  /** Mean model_run duration per run, ms (ONNX Runtime's own view of a run). */
  run_ms: number;
  /** Mean summed kernel time per run, ms. */
  kernel_ms: number;
  /** Nodes executed per run. */
  nodes_per_run: number;
  /** Op types by mean kernel ms per run, largest first, with their share of kernel time. */
  ops: Array<{ op: string; ms: number; pct: number; count: number }>;
  /** The same time grouped by the caller's classifier (e.g. forward / backward / optimizer). */
  phases: Array<{ phase: string; ms: number; pct: number; count: number }>;
}

type Totals = Map<string, { us: number; count: number }>;

function add(totals: Totals, key: string, us: number): void {
  const entry = totals.get(key) ?? { us: 0, count: 0 };
  entry.us += us;
  entry.count++;
  totals.set(key, entry);
}

function ranked(totals: Totals, runs: number, kernelUs: number) {
  return [...totals.entries()]
    .map(([key, { us, count }]) => ({
      key,
      ms: us / runs / 1000,
      pct: kernelUs > 0 ? (100 * us) / kernelUs : 0,
      count: count / runs,
    }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Reads the profile files of one process's sessions; skips each session's first `skip` runs.
 * `classify` assigns each kernel to a phase. @default every kernel in phase 'all'
 */
export function summarizeOrtProfile(
  files: readonly string[],
  skip: number,
  classify: (event: KernelEvent) => string = () => 'all',
): OrtProfileSummary {
  const byOp: Totals = new Map();
  const byPhase: Totals = new Map();
  let runs = 0;
  let runUs = 0;
  let kernelUs = 0;
  let nodes = 0;
  for (const file of files) {
    const events = (JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[]).filter(
      (e) => typeof e.ts === 'number' && typeof e.dur === 'number',
    );
    const modelRuns = events
      .filter((e) => e.cat === 'Session' && e.name === 'model_run')
      .sort((a, b) => (a.ts as number) - (b.ts as number))
      .slice(skip);
    for (const run of modelRuns) {
      const start = run.ts as number;
      const end = start + (run.dur as number);
      runs++;
      runUs += run.dur as number;
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
        const ts = e.ts as number;
        if (ts < start || ts > end) continue;
        const op = e.args?.op_name ?? 'unknown';
        const types = [
          ...(e.args?.input_type_shape ?? []),
          ...(e.args?.output_type_shape ?? []),
        ].flatMap((t) => Object.keys(t));
        const node = e.name.slice(0, -'_kernel_time'.length);
        add(byOp, op, e.dur as number);
        add(byPhase, classify({ node, op, types }), e.dur as number);
        kernelUs += e.dur as number;
        nodes++;
      }
    }
  }
  const per = Math.max(runs, 1);
  const ops = ranked(byOp, per, kernelUs).map(({ key, ...rest }) => ({ op: key, ...rest }));
  const phases = ranked(byPhase, per, kernelUs).map(({ key, ...rest }) => ({
    phase: key,
    ...rest,
  }));
  return {
    runs,
    run_ms: runUs / per / 1000,
    kernel_ms: kernelUs / per / 1000,
    nodes_per_run: nodes / per,
    ops,
    phases,
  };
}
