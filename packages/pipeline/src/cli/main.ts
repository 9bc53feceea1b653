// Dispatch of the `ft` CLI: finds the command, parses its flags, runs it, and turns errors into
// messages and exit codes (1 failure, 2 usage, 3 not found).
import { commandHelp, EXIT, parseCommandArgs, UsageError } from './args.js';
import { type CliContext, COMMANDS, type Command } from './commands.js';

function isCommand(value: Command | Record<string, Command>): value is Command {
  return typeof (value as Command).run === 'function';
}

function helpLine(command: Command): string {
  return `  ft ${command.name}${command.usage ? ` ${command.usage}` : ''}\n      ${command.summary}`;
}

function rootHelp(): string {
  const lines: string[] = [];
  for (const entry of Object.values(COMMANDS)) {
    for (const command of isCommand(entry) ? [entry] : Object.values(entry)) {
      lines.push(helpLine(command));
    }
  }
  return `Usage: ft <command> [options]\n\nFine-tuning pipelines, jobs and models.\n\nCommands:\n${lines.join('\n')}\n\nRun \`ft <command> --help\` for a command's options. Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found.\n`;
}

function groupHelp(group: string, commands: Record<string, Command>): string {
  const lines = Object.values(commands).map(helpLine);
  return `Usage: ft ${group} <${Object.keys(commands).join('|')}> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

/** Runs `ft` with `argv` (without the node and script paths); resolves with the exit code. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? ctx.err : ctx.out).write(rootHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = COMMANDS[first];
  let command: Command;
  let args = rest;
  if (entry === undefined) {
    ctx.err.write(`ft: unknown command ${JSON.stringify(first)}\n\n${rootHelp()}`);
    return EXIT.usage;
  }
  if (isCommand(entry)) command = entry;
  else {
    const [sub, ...subRest] = rest;
    if (sub === '--help' || sub === '-h') {
      ctx.out.write(groupHelp(first, entry));
      return EXIT.ok;
    }
    const found = sub === undefined ? undefined : entry[sub];
    if (found === undefined) {
      const what = sub === undefined ? 'a subcommand' : `no subcommand ${JSON.stringify(sub)}`;
      ctx.err.write(
        `ft ${first}: ${sub === undefined ? `needs ${what}` : what}\n\n${groupHelp(first, entry)}`,
      );
      return EXIT.usage;
    }
    command = found;
    args = subRest;
  }
  try {
    const parsed = parseCommandArgs(command, args);
    if (parsed.values.help) {
      ctx.out.write(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(parsed, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.err.write(`ft ${command.name}: ${error.message}\n\n${error.help}`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    ctx.err.write(`ft ${command.name}: ${message}\n`);
    return code === 'NOT_FOUND' ? EXIT.notFound : EXIT.failure;
  }
}
