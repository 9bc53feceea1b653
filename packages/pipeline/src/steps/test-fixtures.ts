// Small labelled review texts shared by the step tests (written to temp folders as JSONL).
import { writeFile } from 'node:fs/promises';

const SUBJECTS = [
  'movie',
  'phone',
  'book',
  'hotel',
  'game',
  'song',
  'meal',
  'laptop',
  'course',
  'camera',
];
const POSITIVE = ['great', 'excellent', 'wonderful', 'fantastic'];
const NEGATIVE = ['terrible', 'awful', 'horrible', 'dreadful'];

/** `perClass` positive and `perClass` negative reviews, interleaved, each with a unique id and a user. */
export function reviewRecords(
  perClass = 20,
): { id: number; user: string; text: string; label: string }[] {
  const out: { id: number; user: string; text: string; label: string }[] = [];
  for (let i = 0; i < perClass; i++) {
    const subject = SUBJECTS[i % SUBJECTS.length] as string;
    const good = POSITIVE[i % POSITIVE.length] as string;
    const bad = NEGATIVE[(i + 1) % NEGATIVE.length] as string;
    out.push({
      id: 2 * i,
      user: `u${i % 8}`,
      text: `the ${subject} number ${i} was ${good} and i loved it`,
      label: 'pos',
    });
    out.push({
      id: 2 * i + 1,
      user: `u${(i + 3) % 8}`,
      text: `the ${subject} number ${i} was ${bad} and i hated it`,
      label: 'neg',
    });
  }
  return out;
}

/** Writes records as JSONL. */
export async function writeJsonlFile(path: string, records: readonly object[]): Promise<void> {
  await writeFile(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
