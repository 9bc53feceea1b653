// A separate process for journal.test.ts: runs trials against one journal file and reports each
// finished trial to the parent over IPC, so the parent can race or kill it.
// Imports the journal module itself, not the package entry, so each child starts quickly.
import { createJournalStorage } from './journal.js';

const [mode, path, study, countText] = process.argv.slice(2);
if (!mode || !path || !study || !process.send) {
  throw new Error('usage: fork journal-child.ts <create|study> <path> <study> [count]');
}
const send = (message: unknown) =>
  new Promise<void>((done, fail) =>
    process.send?.(message, undefined, {}, (error) => (error ? fail(error) : done())),
  );
const storage = createJournalStorage({ path });
const count = Number(countText ?? 'Infinity');

for (let i = 0; i < count; i++) {
  const trial = await storage.createTrial(study, { state: 'running' });
  if (mode === 'study') {
    await storage.recordHeartbeat(study, trial.number);
    await storage.setTrialParam(study, trial.number, 'x', i / 100, {
      type: 'float',
      low: 0,
      high: 1,
      log: false,
    });
    await storage.setTrialIntermediateValue(study, trial.number, 0, i);
  }
  const value = process.pid * 1000 + i;
  await storage.finishTrial(study, trial.number, { state: 'complete', values: [value] });
  await send({ number: trial.number, value });
}
await storage.close();
process.disconnect();
