// Turns the accepted corpus shapes (strings, or records with a text field) into one stream of texts.
import type { DataRecord } from '@ft/data';
import { TokenizeError } from '../errors.js';

/** Records (for example from `readRecords` of @ft/data) and the field holding the text. */
export interface RecordCorpus {
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>;
  /** The string field to train on. */
  field: string;
}

/** Texts to train on: strings, or records with a text field; read once, front to back. */
export type TrainingCorpus = AsyncIterable<string> | Iterable<string> | RecordCorpus;

function isRecordCorpus(corpus: TrainingCorpus): corpus is RecordCorpus {
  return typeof corpus === 'object' && corpus !== null && 'records' in corpus && 'field' in corpus;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Yields each text in order; throws a TokenizeError naming the item or record that is not text. */
export async function* corpusTexts(corpus: TrainingCorpus): AsyncGenerator<string> {
  if (corpus === null || (typeof corpus !== 'object' && typeof corpus !== 'function')) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `corpus is ${describe(corpus)}; pass an iterable of strings or { records, field }.`,
      { field: 'corpus' },
    );
  }
  if (isRecordCorpus(corpus)) {
    const { records, field } = corpus;
    let index = 0;
    for await (const record of records) {
      const value = (record as DataRecord | null)?.[field];
      if (typeof value !== 'string') {
        const found = value === undefined ? 'has no field' : `has ${describe(value)} in field`;
        throw new TokenizeError(
          'INVALID_ARGUMENT',
          `record ${index} ${found} "${field}"; every record needs a string "${field}" ` +
            '(fix or drop that record, or pass the name of the text field as `field`).',
          { field },
        );
      }
      yield value;
      index++;
    }
    return;
  }
  if (!(Symbol.asyncIterator in corpus) && !(Symbol.iterator in corpus)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'corpus is not iterable; pass an array or (async) iterable of strings, or { records, field }.',
      { field: 'corpus' },
    );
  }
  let index = 0;
  for await (const text of corpus as AsyncIterable<unknown>) {
    if (typeof text !== 'string') {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `corpus item ${index} is ${describe(text)}, not a string; pass texts only, or { records, field } for records.`,
        { field: 'corpus' },
      );
    }
    yield text;
    index++;
  }
}
