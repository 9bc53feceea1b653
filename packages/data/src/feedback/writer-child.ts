// Test helper run as a child process (node --import tsx): appends predictions to a feedback
// journal and reports each durable append to the parent over IPC. Not part of the public API.
import { openFeedbackStore } from './index.js';

const [path, prefix = 'w', countArg = 'Infinity', padArg = '0'] = process.argv.slice(2);
if (!path || !process.send)
  throw new Error('usage: writer-child.ts <journal> [prefix] [count] [pad] (fork with IPC)');
const count = Number(countArg);
// Padding makes lines longer than PIPE_BUF (4096), where unlocked appends could interleave.
const pad = 'x'.repeat(Number(padArg));

const store = await openFeedbackStore({ path });
// Start together with sibling writers: report ready, then wait for the parent's go.
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send?.({ ready: true });
});
for (let i = 0; i < count; i++) {
  await store.record({
    id: `${prefix}-${i}`,
    input: { text: `${prefix} input ${i}`, pad },
    modelVersion: prefix,
    prediction: i % 3 === 0 ? 'neg' : 'pos',
  });
  process.send({ written: i + 1 });
}
await store.close();
process.send({ done: count }, () => process.disconnect());
