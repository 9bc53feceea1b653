// Argument parsing for the `ft` CLI on node:util parseArgs: each command declares its flags and
// positionals; anything else is a usage error (exit code 2) shown with the command's help.
import { parseArgs } from 'node:util';

/** Exit codes of `ft`: scripts branch on these. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

/** Bad usage: an unknown command or flag, a missing argument. Printed with the help text. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line for the help text. */
  description: string;
}

export interface CommandSpec {
  /** `run`, or `registry deploy` for subcommands. */
  name: string;
  /** `<pipeline.yaml>` and friends, for the help text. */
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Positional names: required ones plain, optional ones ending in `?`. */
  positionals: string[];
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  home: { type: 'string', description: 'ft home folder (default: $FT_HOME or ./.ft)' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function commandHelp(spec: CommandSpec): string {
  const flags = { ...spec.flags, ...GLOBAL_FLAGS };
  const lines = Object.entries(flags).map(([name, flag]) => {
    const short = flag.short ? `-${flag.short}, ` : '';
    const value = flag.type === 'string' ? ` <${name}>` : '';
    const many = flag.multiple ? ' (repeatable)' : '';
    return `  ${`${short}--${name}${value}`.padEnd(30)} ${flag.description}${many}`;
  });
  return `Usage: ft ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}\n\n${spec.summary}\n\nOptions:\n${lines.join('\n')}\n`;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: Record<string, string | undefined>;
}

/** Parses `argv` for `spec`; throws UsageError for unknown flags or wrong positionals. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const help = commandHelp(spec);
  const options = Object.fromEntries(
    Object.entries({ ...spec.flags, ...GLOBAL_FLAGS }).map(([name, flag]) => [
      name,
      {
        type: flag.type,
        ...(flag.short !== undefined ? { short: flag.short } : {}),
        ...(flag.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, help);
  }
  const values = parsed.values as ParsedArgs['values'];
  if (values.help) return { values, positionals: {} };
  const required = spec.positionals.filter((name) => !name.endsWith('?'));
  if (parsed.positionals.length < required.length) {
    const missing = required.slice(parsed.positionals.length).map((name) => `<${name}>`);
    throw new UsageError(`missing ${missing.join(' ')}`, help);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    const extra = parsed.positionals.slice(spec.positionals.length);
    throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, help);
  }
  const positionals: Record<string, string | undefined> = {};
  spec.positionals.forEach((name, i) => {
    positionals[name.replace(/\?$/, '')] = parsed.positionals[i];
  });
  return { values, positionals };
}

/** `--port 8080` → 8080, or a UsageError naming the flag. */
export function intFlag(value: unknown, name: string, help: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`, help);
  }
  return n;
}

/** `--env KEY=VALUE` flags → an object, or a UsageError naming the bad one. */
export function keyValueFlags(values: unknown, name: string, help: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(values) ? values : []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(String(item));
    if (!match?.[1]) {
      throw new UsageError(`--${name} takes KEY=VALUE, got ${JSON.stringify(item)}`, help);
    }
    out[match[1]] = match[2] ?? '';
  }
  return out;
}
