// Lockstep runs: our child and torch's child train at the same time, taking turns step by step, so
// both sides see the same machine. This machine's speed drifts by ±20% over tens of seconds (shared
// host), which made one-after-the-other runs disagree by more than the difference being measured.
//
// Protocol (FT_BENCH_LOCKSTEP=1 in a child's environment): the child prints `@@ready` on stdout
// once it is about to run its first step, then before every step reads one line from stdin and
// after it prints `@@done`. Its JSON result is the last line, as without lockstep.
import { type ChildProcess, spawn } from 'node:child_process';
import { readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const enabled = () => process.env.FT_BENCH_LOCKSTEP === '1';

/** Reads one line from a blocking or non-blocking fd without an event loop turn. */
function readLineSync(fd: number): string {
  const byte = Buffer.alloc(1);
  let line = '';
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, byte, 0, 1, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
      continue;
    }
    if (n === 0) throw new Error('lockstep: the bench closed stdin before the last step');
    const c = byte.toString('utf8');
    if (c === '\n') return line;
    line += c;
  }
}

/** Child side: call once before the step loop. */
export function lockstepReady(): void {
  if (enabled()) writeSync(1, '@@ready\n');
}

/** Child side: call before each step (waits for the bench's turn signal). */
export function lockstepBeforeStep(): void {
  if (enabled()) readLineSync(0);
}

/** Child side: call after each step. */
export function lockstepAfterStep(): void {
  if (enabled()) writeSync(1, '@@done\n');
}

interface ChildSpec {
  command: string;
  args: string[];
  label: string;
}

/** A child whose stdout is split into protocol lines (awaitable) and everything else. */
function startChild(spec: ChildSpec, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(spec.command, spec.args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...env, FT_BENCH_LOCKSTEP: '1' },
  });
  const output: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  const pending: string[] = [];
  let failure: Error | undefined;
  // 'close', not 'exit': it comes after stdout has ended, so every line has been read by then.
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Once the child has exited no protocol line can come: anyone still waiting fails (a crash,
  // or a child that does not speak the protocol), rather than hanging the bench.
  child.on('close', (code) => {
    failure = new Error(`${spec.label} exited (code ${code}):\n${output.join('\n')}`);
    for (const w of waiting.splice(0)) w.reject(failure);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('@@')) {
      output.push(line);
      return;
    }
    const w = waiting.shift();
    if (w) w.resolve(line);
    else pending.push(line);
  });
  const next = (expected: string): Promise<void> =>
    new Promise<string>((resolve, reject) => {
      if (pending.length > 0) resolve(pending.shift() as string);
      else if (failure) reject(failure);
      else waiting.push({ resolve, reject });
    }).then((line) => {
      if (line !== expected) throw new Error(`${spec.label}: expected ${expected}, got ${line}`);
    });
  return { child, output, exited, next, label: spec.label };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs both children in lockstep for `steps` steps (warm-up included): step i runs on `a` then
 * `b` for even i, `b` then `a` for odd i, with `pauseMs` between turns so the other side's idle
 * BLAS/ONNX Runtime threads have stopped spinning. Returns both JSON results.
 */
export async function runLockstep<T>(
  a: ChildSpec,
  b: ChildSpec,
  steps: number,
  env: NodeJS.ProcessEnv,
  pauseMs = 250,
): Promise<[T, T]> {
  const children = [startChild(a, env), startChild(b, env)] as const;
  try {
    await Promise.all(children.map((c) => c.next('@@ready')));
    for (let i = 0; i < steps; i++) {
      const order = i % 2 === 0 ? children : ([children[1], children[0]] as const);
      for (const c of order) {
        await sleep(pauseMs);
        c.child.stdin?.write('go\n');
        await c.next('@@done');
      }
    }
    for (const c of children) c.child.stdin?.end();
    const codes = await Promise.all(children.map((c) => c.exited));
    return children.map((c, i) => {
      const json = [...c.output].reverse().find((l) => l.startsWith('{'));
      if (codes[i] !== 0 || json === undefined) {
        throw new Error(`${c.label} failed (exit ${codes[i]}):\n${c.output.join('\n')}`);
      }
      return JSON.parse(json) as T;
    }) as [T, T];
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
  }
}
