// Source of the worker thread that hosts the Rust `tokenizers` engine (its encode/decode are async only).
// Kept as a plain CommonJS string so it runs unchanged from TypeScript sources, tests and the bundle.

/**
 * Protocol: the main thread posts one request and blocks on `signal[0]`; the worker answers with
 * one message on the same port, then sets `signal[0] = 1` and notifies. `free` requests get no answer.
 * Rows come back flattened (`rowLengths` tells where each row ends) so the transfer is a few buffers.
 */
export const ENGINE_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { port, signal, enginePath } = workerData;
const engine = require(enginePath);
// handle -> { tokenizer, addedSingle, addedPair }
const tokenizers = new Map();
let nextHandle = 1;

function reply(message, transfer) {
  port.postMessage(message, transfer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function get(handle) {
  const entry = tokenizers.get(handle);
  if (entry === undefined) throw new Error('tokenizer handle ' + handle + ' was released');
  return entry;
}

async function countAdded(tokenizer) {
  const empty = await tokenizer.encode('', null, { addSpecialTokens: false });
  return [
    tokenizer.postProcess(empty, null, true).getLength(),
    tokenizer.postProcess(empty, empty, true).getLength(),
  ];
}

async function load(req) {
  const tokenizer = engine.Tokenizer.fromString(req.json);
  // Truncation is done per call (encodeTruncated), padding by the caller.
  tokenizer.disableTruncation();
  tokenizer.disablePadding();
  const [addedSingle, addedPair] = await countAdded(tokenizer);
  const handle = nextHandle++;
  tokenizers.set(handle, { tokenizer, addedSingle, addedPair });
  return {
    value: {
      handle,
      vocab: tokenizer.getVocab(true),
      vocabSize: tokenizer.getVocabSize(true),
      addedSingle,
      addedPair,
    },
  };
}

/** An error in the caller's request (not an engine failure), reported with the option it concerns. */
function requestError(message, field) {
  const error = new Error(message);
  error.field = field;
  return error;
}

// Window sizes exactly as the engine's truncate_encodings (tokenizers/src/utils/truncation.rs) picks them.
function pairWindows(n1, n2, max, strategy) {
  if (n1 + n2 <= max) return [n1, n2];
  if (strategy === 'LongestFirst') {
    const swap = n1 > n2;
    let a = swap ? n2 : n1;
    let b = a > max ? a : Math.max(a, max - a);
    if (a + b > max) {
      a = Math.floor(max / 2);
      b = a + (max % 2);
    }
    return swap ? [b, a] : [a, b];
  }
  const remove = n1 + n2 - max;
  return strategy === 'OnlyFirst' ? [n1 - remove, n2] : [n1, n2 - remove];
}

/**
 * Cuts an encoding to 'size' tokens; returns [kept window, ...overflow windows]. The engine's
 * Encoding.truncate aborts the process when stride >= size, hence the check.
 */
function windows(encoding, size, t, index) {
  if (encoding.getLength() <= size) return [encoding];
  if (size < 1) {
    throw requestError('input ' + index + ': maxLength leaves no room for this text after the special tokens and the other text; raise maxLength or use another truncation strategy', 'maxLength');
  }
  if (t.stride >= size) {
    throw requestError('input ' + index + ': truncation leaves a window of ' + size + ' tokens, not longer than stride ' + t.stride + '; lower the stride or raise maxLength', 'stride');
  }
  encoding.truncate(size, t.stride, t.direction);
  return [encoding, ...encoding.getOverflowing()];
}

/**
 * Truncation runs here rather than through setTruncation: in these bindings the encode path loses
 * overflow windows, and setTruncation aborts the process on a bad stride.
 */
async function encodeTruncated({ tokenizer, addedSingle, addedPair }, req) {
  const t = req.truncation;
  const texts = [];
  for (const input of req.inputs) {
    if (typeof input === 'string') texts.push(input);
    else texts.push(input[0], input[1]);
  }
  const parts = texts.length > 0 ? await tokenizer.encodeBatch(texts, { addSpecialTokens: false }) : [];
  const rows = [];
  const rowSample = [];
  const emit = (first, second, index) => {
    rows.push(tokenizer.postProcess(first, second, req.addSpecialTokens));
    rowSample.push(index);
  };
  let at = 0;
  for (let i = 0; i < req.inputs.length; i++) {
    if (typeof req.inputs[i] === 'string') {
      const single = windows(parts[at++], t.maxLength - (req.addSpecialTokens ? addedSingle : 0), t, i);
      const count = req.overflow ? single.length : 1;
      for (let k = 0; k < count; k++) emit(single[k], null, i);
      continue;
    }
    const a = parts[at++];
    const b = parts[at++];
    const room = t.maxLength - (req.addSpecialTokens ? addedPair : 0);
    const [w1, w2] = pairWindows(a.getLength(), b.getLength(), room, t.strategy);
    if (t.strategy !== 'LongestFirst' && (w1 < 1 || w2 < 1)) {
      throw requestError('input ' + i + ': the ' + (t.strategy === 'OnlyFirst' ? 'first' : 'second') + ' text is too short to cut the pair down to maxLength; use truncation longest_first or raise maxLength', 'truncation');
    }
    const first = windows(a, w1, t, i);
    const second = windows(b, w2, t, i);
    emit(first[0], second[0], i);
    if (!req.overflow) continue;
    // Same order as the engine's Encoding.merge_with: first-text overflows (each with every second-text
    // window), then the kept first window with each second-text overflow.
    for (const o1 of first.slice(1)) for (const o2 of second) emit(o1, o2, i);
    for (const o2 of second.slice(1)) emit(first[0], o2, i);
  }
  return { rows, rowSample };
}

async function encodeWhole(tokenizer, req) {
  const options = { addSpecialTokens: req.addSpecialTokens };
  const inputs = req.inputs;
  const rows = new Array(inputs.length);
  const singles = [];
  const singleIndex = [];
  const pairJobs = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (typeof input === 'string') {
      singles.push(input);
      singleIndex.push(i);
    } else {
      // encodeBatch in these bindings takes strings only; pairs go one by one (still on the thread pool).
      pairJobs.push(tokenizer.encode(input[0], input[1], options).then((e) => { rows[i] = e; }));
    }
  }
  if (singles.length > 0) {
    const batch = await tokenizer.encodeBatch(singles, options);
    for (let k = 0; k < batch.length; k++) rows[singleIndex[k]] = batch[k];
  }
  await Promise.all(pairJobs);
  return { rows, rowSample: inputs.map((_, i) => i) };
}

async function encode(req) {
  const entry = get(req.handle);
  const { rows, rowSample } = req.truncation ? await encodeTruncated(entry, req) : await encodeWhole(entry.tokenizer, req);
  const parts = rows.map((e) => ({
    ids: e.getIds(),
    typeIds: e.getTypeIds(),
    special: e.getSpecialTokensMask(),
    offsets: e.getOffsets(),
    words: e.getWordIds(),
    sequences: e.getSequenceIds(),
    tokens: req.withTokens ? e.getTokens() : undefined,
  }));
  let total = 0;
  for (const p of parts) total += p.ids.length;
  const ids = new Int32Array(total);
  const typeIds = new Int32Array(total);
  const special = new Uint8Array(total);
  const offsets = new Int32Array(total * 2);
  const words = new Int32Array(total);
  const sequences = new Int8Array(total);
  const rowLengths = new Int32Array(parts.length);
  let at = 0;
  for (let r = 0; r < parts.length; r++) {
    const p = parts[r];
    const n = p.ids.length;
    rowLengths[r] = n;
    for (let j = 0; j < n; j++, at++) {
      ids[at] = p.ids[j];
      typeIds[at] = p.typeIds[j];
      special[at] = p.special[j];
      const o = p.offsets[j];
      offsets[2 * at] = o[0];
      offsets[2 * at + 1] = o[1];
      const w = p.words[j];
      words[at] = w === null || w === undefined ? -1 : w;
      const s = p.sequences[j];
      sequences[at] = s === null || s === undefined ? -1 : s;
    }
  }
  const value = {
    ids, typeIds, special, offsets, words, sequences, rowLengths,
    rowSample: Int32Array.from(rowSample),
    tokens: req.withTokens ? parts.map((p) => p.tokens) : undefined,
  };
  const transfer = [ids, typeIds, special, offsets, words, sequences, rowLengths, value.rowSample].map((a) => a.buffer);
  return { value, transfer };
}

async function decode(req) {
  const text = await get(req.handle).tokenizer.decode(req.ids, req.skipSpecialTokens);
  return { value: { text } };
}

port.on('message', (req) => {
  if (req.op === 'free') {
    tokenizers.delete(req.handle);
    return;
  }
  const run = req.op === 'load' ? load : req.op === 'encode' ? encode : req.op === 'decode' ? decode : null;
  const task = run === null ? Promise.reject(new Error('unknown op ' + req.op)) : run(req);
  task.then(
    (r) => reply({ ok: true, value: r.value }, r.transfer),
    (err) => reply({
      ok: false,
      message: err && err.message ? String(err.message) : String(err),
      field: err && typeof err.field === 'string' ? err.field : undefined,
    }),
  );
});
`;
