// A child process for the crash and concurrency tests: registers versions of one model, and can
// pause at a chosen point inside a registration (so the parent kills it there with SIGKILL).
// Arguments: <root> <model> <writer> <count> <files per version> <hook: none | blob:N | version-doc>
import { createLocalStore, createRegistry, type RegistryStore } from './index.js';

const [root, model, writer, countText, filesText, hook = 'none'] = process.argv.slice(2);
if (!root || !model || !writer || !countText || !filesText) {
  throw new Error('usage: register-child.ts <root> <model> <writer> <count> <files> [hook]');
}

/** Tells the parent where it stopped, then waits to be killed. */
async function pause(where: string): Promise<never> {
  process.send?.({ paused: where });
  return new Promise<never>(() => {
    setInterval(() => undefined, 1000);
  });
}

const local = createLocalStore({ root });
let createdBlobs = 0;
// The hooks wrap the real store: the registry under test runs unchanged up to the pause.
const store: RegistryStore = {
  ...local,
  location: local.location,
  async putBlob(data, options) {
    const result = await local.putBlob(data, options);
    if (result.created) createdBlobs++;
    if (hook === `blob:${createdBlobs}` && result.created) await pause(hook);
    return result;
  },
  async writeDoc(key, value, options) {
    const written = await local.writeDoc(key, value, options);
    if (hook === 'version-doc' && key.startsWith(`models/${model}/versions/`)) await pause(hook);
    return written;
  },
};

const registry = await createRegistry({ store, user: `writer-${writer}` });
process.send?.({ ready: true });
await new Promise<void>((resolve) => process.once('message', () => resolve()));

const files = Number(filesText);
for (let i = 0; i < Number(countText); i++) {
  const source: Record<string, Uint8Array> = {};
  // One file shared by every version of every writer, the rest unique to this registration.
  source['shared.txt'] = new TextEncoder().encode('shared by every version\n');
  for (let f = 0; f < files; f++) {
    source[`part-${f}.bin`] = new TextEncoder().encode(`${writer}:${i}:${f}:`.repeat(2000));
  }
  const version = await registry.register(model, {
    source,
    tags: { writer, index: String(i) },
  });
  process.send?.({ registered: version.version });
}
process.disconnect?.();
