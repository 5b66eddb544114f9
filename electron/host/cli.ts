#!/usr/bin/env node
import { BROKER_CONFIG_USAGE, brokerConfig } from './brokerConfigCli.js';
import { SERVE_USAGE, serve } from './headless.js';
import { CREDENTIALS_USAGE, NODE_USAGE, credentialsCommand, nodeCommand } from './node/nodeCli.js';

/**
 * The `alicia` command (package.json "bin"). Subcommands: serve (the headless host), broker-config
 * (the files a Mosquitto needs to be Alicia's broker), node (some services on another machine),
 * credentials export (what a node needs).
 * Exit codes: 0 ok, 1 could not start / failed, 2 usage error.
 */
const USAGE = `Usage: alicia <command> [options]

Commands:
  serve          run the host without a window (broker, services, control center over HTTP)
  broker-config  write passwd, acl and mosquitto.conf for running Alicia on your own Mosquitto
  node           run some services on another machine, against the host's broker
  credentials    export the credentials a node needs (credentials export)

Run "alicia <command> --help" for the options.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'serve') return serve(rest);
  if (cmd === 'broker-config') return brokerConfig(rest);
  if (cmd === 'node') return nodeCommand(rest);
  if (cmd === 'credentials') return credentialsCommand(rest);
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n\n${SERVE_USAGE}\n\n${BROKER_CONFIG_USAGE}\n\n${NODE_USAGE}\n\n${CREDENTIALS_USAGE}\n`);
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
