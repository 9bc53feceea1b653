// `label` step: weak labelling with keyword/regex labelling functions from params, aggregated by a
// Dawid–Skene label model or majority vote (@ft/data), with per-function diagnostics.
import type { DataRecord, LabelingFunction } from '@ft/data';
import {
  applyLabelingFunctions,
  customLF,
  keywordLF,
  lfAnalysis,
  majorityVote,
  regexLF,
  trainLabelModel,
} from '@ft/data';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import {
  defineStep,
  inputFile,
  labelDistribution,
  outputFile,
  readJsonl,
  toJson,
  writeJsonl,
} from './utils.js';

const keywordFunction = z.strictObject({
  type: z.literal('keyword'),
  name: z.string().min(1),
  /** The label voted when a keyword occurs. */
  label: z.string().min(1),
  keywords: z.array(z.string().trim().min(1)).min(1),
  /** Field searched. @default the step's textField */
  field: z.string().min(1).optional(),
  /** @default false */
  caseSensitive: z.boolean().default(false),
  /** @default true */
  wholeWord: z.boolean().default(true),
});

const regexFunction = z.strictObject({
  type: z.literal('regex'),
  name: z.string().min(1),
  label: z.string().min(1),
  pattern: z.string().min(1),
  /** RegExp flags (`u` is always added). @default 'i' */
  flags: z
    .string()
    .regex(/^[imsv]*$/, 'flags may be i, m, s or v')
    .default('i'),
  field: z.string().min(1).optional(),
});

const lexiconFunction = z.strictObject({
  type: z.literal('lexicon'),
  name: z.string().min(1),
  /** Label → words; votes the label whose words occur, abstains when none or several labels match. */
  keywords: z
    .record(z.string().min(1), z.array(z.string().trim().min(1)).min(1))
    .refine((k) => Object.keys(k).length >= 2, 'give word lists for at least two labels'),
  field: z.string().min(1).optional(),
  /** @default false */
  caseSensitive: z.boolean().default(false),
});

type FunctionParams =
  | z.infer<typeof keywordFunction>
  | z.infer<typeof regexFunction>
  | z.infer<typeof lexiconFunction>;

/** The labels a function can vote for. */
function votesOf(f: FunctionParams): string[] {
  return f.type === 'lexicon' ? Object.keys(f.keywords) : [f.label];
}

function buildFunction(f: FunctionParams, textField: string): LabelingFunction {
  const field = f.field ?? textField;
  if (f.type === 'keyword') return keywordLF({ ...f, field });
  if (f.type === 'regex') {
    return regexLF({ ...f, field, pattern: new RegExp(f.pattern, `${f.flags}u`) });
  }
  const perLabel = Object.entries(f.keywords).map(([label, keywords]) =>
    keywordLF({
      name: `${f.name}:${label}`,
      field,
      label,
      keywords,
      caseSensitive: f.caseSensitive,
    }),
  );
  return customLF(f.name, (record) => {
    const hits = perLabel.map((lf) => lf.apply(record)).filter((v) => v !== null);
    return hits.length === 1 ? (hits[0] as string) : null;
  });
}

const labelParams = z
  .strictObject({
    /** Step whose `records` file to label; the only needed step that wrote one when omitted. */
    from: z.string().optional(),
    /** Field the functions read. @default 'text' */
    textField: z.string().min(1).default('text'),
    /** Field the label is written to. @default 'label' */
    labelField: z.string().min(1).default('label'),
    /** Labelling functions. */
    functions: z
      .array(z.discriminatedUnion('type', [keywordFunction, regexFunction, lexiconFunction]))
      .min(1),
    /** The label set. @default the labels the functions vote for */
    labels: z.array(z.string().min(1)).min(1).optional(),
    /**
     * How votes are combined. The Dawid–Skene model learns each function's confusion matrix from
     * the labels it votes, so it needs functions that vote for more than one label (`lexicon`).
     * @default 'majority'
     */
    model: z.enum(['dawid-skene', 'majority']).default('majority'),
    /** Replace labels records already have (otherwise they are kept and used as gold for diagnostics). @default false */
    overwrite: z.boolean().default(false),
    /** Keep records no function voted on (with a null label). @default false */
    keepUnlabeled: z.boolean().default(false),
    /** Field for the label's confidence (posterior or vote share); not written when omitted. */
    confidenceField: z.string().min(1).optional(),
    /** Seed of tie-breaking. @default 0 */
    seed: z.union([z.number().int(), z.string()]).default(0),
  })
  .superRefine((p, issues) => {
    const names = new Set<string>();
    p.functions.forEach((f, i) => {
      if (names.has(f.name)) {
        issues.addIssue({
          code: 'custom',
          message: `two functions are named "${f.name}"; give each a unique name`,
          path: ['functions', i, 'name'],
        });
      }
      names.add(f.name);
      const outside = votesOf(f).find((l) => p.labels !== undefined && !p.labels.includes(l));
      if (outside !== undefined) {
        issues.addIssue({
          code: 'custom',
          message: `label "${outside}" is not in labels (${p.labels?.join(', ')}); add it or fix the function`,
          path: ['functions', i, f.type === 'lexicon' ? 'keywords' : 'label'],
        });
      }
      if (f.type === 'regex') {
        // checked here so the error names the pattern's place in the pipeline file
        try {
          new RegExp(f.pattern, `${f.flags}u`);
        } catch (error) {
          issues.addIssue({
            code: 'custom',
            message: `invalid regular expression: ${(error as Error).message}`,
            path: ['functions', i, 'pattern'],
          });
        }
      }
    });
    if (p.model === 'dawid-skene' && p.functions.every((f) => votesOf(f).length === 1)) {
      // Votes are modelled given that a function voted, so a function that only ever votes one
      // label carries no evidence and every record would get the class prior.
      issues.addIssue({
        code: 'custom',
        message:
          'the Dawid–Skene model needs at least one function voting for several labels (type "lexicon"); add one or use model "majority"',
        path: ['model'],
      });
    }
  });

export const labelStep = defineStep({
  type: 'label',
  description: 'Weakly label records with keyword/regex functions and a label model',
  version: '1',
  params: labelParams,
  async run(ctx) {
    const p = ctx.params;
    const records = await readJsonl(inputFile(ctx, 'records', p.from));
    const lfs = p.functions.map((f) => buildFunction(f, p.textField));
    const labels = p.labels ?? [...new Set(p.functions.flatMap(votesOf))].sort();
    const matrix = applyLabelingFunctions(records, lfs, { labels });
    const k = labels.length;
    let predicted: (string | null)[];
    let confidence: (r: number) => number;
    let accuracies: Record<string, number> | undefined;
    if (p.model === 'dawid-skene') {
      const model = trainLabelModel(matrix, { seed: p.seed });
      predicted = model.predict();
      confidence = (r) => {
        let best = 0;
        for (let c = 0; c < k; c++) best = Math.max(best, model.probabilities[r * k + c] as number);
        return best;
      };
      accuracies = Object.fromEntries(lfs.map((lf, j) => [lf.name, model.accuracies[j] as number]));
    } else {
      predicted = majorityVote(matrix, { tieBreak: 'abstain', seed: p.seed });
      confidence = (r) => {
        const label = labels.indexOf(predicted[r] as string);
        let votes = 0;
        let agree = 0;
        for (let j = 0; j < matrix.m; j++) {
          const v = matrix.values[r * matrix.m + j] as number;
          if (v >= 0) votes++;
          if (v === label) agree++;
        }
        return votes === 0 ? 0 : agree / votes;
      };
    }
    const gold = records.map((r) => {
      const value = r[p.labelField];
      return typeof value === 'string' && labels.includes(value) ? value : null;
    });
    const analysis = lfAnalysis(matrix, { gold });
    const out: DataRecord[] = [];
    let keptExisting = 0;
    let labelled = 0;
    let unlabelled = 0;
    records.forEach((record, i) => {
      const existing = record[p.labelField];
      if (!p.overwrite && existing !== undefined && existing !== null) {
        keptExisting++;
        out.push(record);
        return;
      }
      const label = predicted[i] ?? null;
      if (label === null) {
        unlabelled++;
        if (!p.keepUnlabeled) return;
      } else {
        labelled++;
      }
      const next: DataRecord = { ...record, [p.labelField]: label };
      if (p.confidenceField !== undefined) {
        next[p.confidenceField] = label === null ? null : confidence(i);
      }
      out.push(next);
    });
    if (out.length === 0) {
      throw new PipelineError(
        'INVALID_CONFIG',
        `no function voted on any of ${records.length} record(s); check the keywords/patterns and textField "${p.textField}"`,
        { field: 'params.functions' },
      );
    }
    const file = outputFile(ctx, 'records.jsonl');
    await writeJsonl(file.path, out);
    ctx.log(`labelled ${labelled}, kept ${keptExisting} existing, ${unlabelled} without votes`);
    return {
      files: { records: file.rel },
      values: {
        records: out.length,
        labelled,
        unlabelled,
        keptExisting,
        coverage: analysis.totals.coverage,
        conflict: analysis.totals.conflict,
        labelDistribution: labelDistribution(out, p.labelField),
        functions: toJson(
          analysis.lfs.map((lf) => ({
            name: lf.name,
            coverage: lf.coverage,
            conflicts: lf.conflicts,
            empiricalAccuracy: lf.empiricalAccuracy ?? null,
            estimatedAccuracy: accuracies?.[lf.name] ?? null,
          })),
        ),
      },
    };
  },
});
