import { describe, expect, it } from 'vitest';
import type { DataRecord } from '../index.js';
import { cleanRecords, createCleaner, DataError } from '../index.js';

const records: DataRecord[] = [
  { id: 1, text: 'Ring mig på 070-123 45 67 i morgon.', lang: 'sv' },
  { id: 2, text: 'ስልኬ +251 911 234 567 ነው።', lang: 'am' },
  { id: 3, text: '  \u200B ', lang: 'en' },
  { id: 4, text: 'spam spam spam spam spam spam 070-123 45 67', lang: 'en' },
  { id: 5, text: 'ＡＢＣ １２３ is fine', lang: 'en' },
  { id: 6, text: 'Hello world, nothing to change.', lang: 'en' },
  { id: 7, text: 'Mail anna@example.se or pay with 4111 1111 1111 1111 now.', lang: 'en' },
];

describe('createCleaner', () => {
  it('normalises, scrubs and filters records and counts what it did', () => {
    const cleaner = createCleaner({});
    const out = records.map((r) => cleaner.clean(r));
    expect(out).toEqual([
      { id: 1, text: 'Ring mig på [PHONE] i morgon.', lang: 'sv' },
      { id: 2, text: 'ስልኬ [PHONE] ነው።', lang: 'am' },
      null,
      null,
      { id: 5, text: 'ABC 123 is fine', lang: 'en' },
      { id: 6, text: 'Hello world, nothing to change.', lang: 'en' },
      { id: 7, text: 'Mail [EMAIL] or pay with [CARD] now.', lang: 'en' },
    ]);
    // Record 4's phone is not counted: the record was dropped.
    expect(cleaner.report()).toEqual({
      recordsIn: 7,
      recordsOut: 5,
      dropped: { 'too-few-chars': 1, 'too-few-words': 1, repetition: 1 },
      pii: { email: 1, url: 0, phone: 2, ip: 0, card: 1 },
      fieldsChanged: 4,
    });
    // The input records are not modified.
    expect(records[0]).toEqual({ id: 1, text: 'Ring mig på 070-123 45 67 i morgon.', lang: 'sv' });
  });

  it('cleans only the chosen fields', () => {
    const cleaner = createCleaner({ fields: ['text'], quality: { minWords: 2 } });
    expect(cleaner.clean({ text: 'ﬁne  text', title: '  ＡＢＣ  ' })).toEqual({
      text: 'fine text',
      title: '  ＡＢＣ  ',
    });
    expect(cleaner.clean({ title: 'no text field' })).toEqual({ title: 'no text field' });
    expect(cleaner.report().fieldsChanged).toBe(1);
  });

  it('drops a record when any chosen field fails, counting each reason once', () => {
    const cleaner = createCleaner({
      fields: ['prompt', 'completion'],
      quality: { scripts: ['Ethiopic'], minScriptShare: 0.8 },
    });
    expect(cleaner.clean({ prompt: 'ሰላም ለዓለም', completion: 'እንዴት ነህ?' })).not.toBeNull();
    expect(cleaner.clean({ prompt: 'Hello there', completion: 'Hej där' })).toBeNull();
    expect(cleaner.clean({ prompt: 'ሰላም', completion: '' })).toBeNull();
    expect(cleaner.report().dropped).toEqual({ script: 2, 'too-few-chars': 1, 'too-few-words': 1 });
  });

  it('can skip any step', () => {
    const cleaner = createCleaner({ normalize: false, pii: false, quality: false });
    const record = { text: '  ＡＢＣ anna@example.se ' };
    expect(cleaner.clean(record)).toEqual(record);
    expect(cleaner.clean({ text: '' })).toEqual({ text: '' });
    expect(cleaner.report()).toMatchObject({ recordsIn: 2, recordsOut: 2, fieldsChanged: 0 });
  });

  it('passes PII options through', () => {
    const cleaner = createCleaner({ pii: { types: ['email'], replacements: { email: '<mail>' } } });
    expect(cleaner.clean({ text: 'anna@example.se 070-123 45 67' })).toEqual({
      text: '<mail> 070-123 45 67',
    });
  });

  it('rejects bad options and records', () => {
    expect(() => createCleaner({ fields: 'text' as unknown as string[] })).toThrowError(/"fields"/);
    expect(() => createCleaner({ quality: { maxRepetitionRatio: -0.1 } })).toThrowError(
      /maxRepetitionRatio/,
    );
    expect(() => createCleaner({ normalize: { form: 'NFD' as 'NFC' } })).toThrowError(/form/);
    const cleaner = createCleaner({ fields: ['text'] });
    expect(() => cleaner.clean({ text: 42 })).toThrowError(
      expect.objectContaining({ code: 'SCHEMA_MISMATCH', field: 'text', line: 1 }),
    );
    expect(() => cleaner.clean(null as unknown as DataRecord)).toThrowError(DataError);
  });
});

describe('cleanRecords', () => {
  it('cleans an array and an async iterable alike', async () => {
    async function* stream() {
      for (const r of records) yield r;
    }
    const fromArray = await cleanRecords(records);
    const fromStream = await cleanRecords(stream());
    expect(fromArray.records.map((r) => r.id)).toEqual([1, 2, 5, 6, 7]);
    expect(fromStream).toEqual(fromArray);
    expect(fromArray.report.recordsOut).toBe(5);
  });

  it('rejects input that is not iterable', async () => {
    await expect(cleanRecords(42 as unknown as DataRecord[])).rejects.toThrowError(/iterable/);
  });
});
