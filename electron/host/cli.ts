#!/usr/bin/env node
import { SERVE_USAGE, serve } from './headless.js';

/**
 * The `alicia` command (package.json "bin"). Subcommands: serve (the headless host).
 * Exit codes: 0 ok, 1 could not start / failed, 2 usage error.
 */
const USAGE = `Usage: alicia <command> [options]

Commands:
  serve     run the host without a window (broker, services, control center over HTTP)

Run "alicia serve --help" for the options.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'serve') return serve(rest);
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n\n${SERVE_USAGE}\n`);
    return 0;
  }
  process.stderr.write(`${cmd === undefined ? 'alicia: missing command' : `alicia: unknown command ${JSON.stringify(cmd)}`}\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`alicia: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
