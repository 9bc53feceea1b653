#!/usr/bin/env node
// The `ft` command-line entry: wires process streams, signals and exit codes to src/cli/main.ts.
import { main } from './cli/main.js';

const controller = new AbortController();
// First Ctrl-C cancels the run cleanly (it is recorded as cancelled); a second one exits now.
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error(`received ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main(process.argv.slice(2), {
  out: { write: (text) => process.stdout.write(text), isTTY: process.stdout.isTTY === true },
  err: { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
    // The server and stores are closed by then; exit even if a stray handle lingers.
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(
      `ft: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
