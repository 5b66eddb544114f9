import { Aedes } from 'aedes';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { startTestBroker, type TestBroker } from '../broker/testing/testBroker.js';
import { probeSharedSubscriptions } from '../external/sharedProbe.js';
import { exportNodeCredentials, readNodeCredentials } from './nodeCredentials.js';
import { parseNodeArgs } from './nodeCli.js';
import { NODE_CREDENTIALS_FILE, startServiceNode } from './serviceNode.js';

const quiet = createLogger('node-test', 'error');

/** Aedes as it ships: no shared subscriptions (moscajs/aedes#228), no authentication. */
async function plainAedes(): Promise<{ url: string; stop(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer({ noDelay: true }, (s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

let dir: string;
let tb: TestBroker | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-node-test-'));
});

afterEach(async () => {
  await tb?.stop();
  tb = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('service nodes', () => {
  it('credentials export holds the node principal and the named services, nothing else, mode 0600', async () => {
    tb = await startTestBroker();
    const out = join(dir, NODE_CREDENTIALS_FILE);
    expect(await exportNodeCredentials(tb.dataDir, ['stt', 'tts'], out)).toEqual(['node', 'stt', 'tts']);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(out, 'utf8')) as { credentials: Record<string, unknown> };
    expect(Object.keys(file.credentials).sort()).toEqual(['node', 'stt', 'tts']);
    expect(file.credentials.stt).toEqual(tb.credentials.stt);
    const read = readNodeCredentials(out, ['stt']);
    expect(read.services.get('stt')).toEqual(tb.credentials.stt);
    // a node asked for a service it was not given says which and where
    expect(() => readNodeCredentials(out, ['ai'])).toThrow(/no credential for ai/);
  });

  it("the shared-subscription probe: yes on Alicia's broker, no on a broker without them", async () => {
    tb = await startTestBroker();
    expect(await probeSharedSubscriptions({ url: tb.url, tls: null, principal: 'operator', credential: tb.credentials.operator })).toBe(
      true,
    );
    const plain = await plainAedes();
    try {
      expect(
        await probeSharedSubscriptions({ url: plain.url, tls: null, principal: 'operator', credential: tb.credentials.operator }),
      ).toBe(false);
    } finally {
      await plain.stop();
    }
  });

  it('a node refuses to start on a broker without shared subscriptions, saying why, before any service runs', async () => {
    tb = await startTestBroker();
    await exportNodeCredentials(tb.dataDir, ['stt'], join(dir, NODE_CREDENTIALS_FILE));
    const plain = await plainAedes();
    try {
      const err = await startServiceNode({ brokerUrl: plain.url, dataDir: dir, name: 'node-b', services: ['stt'], log: quiet }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AliciaError);
      expect((err as AliciaError).message).toMatch(
        /has no shared subscriptions.*stt here would answer every request the host's answer too/,
      );
      await expect(stat(join(dir, 'logs', 'stt.log'))).rejects.toThrow(/ENOENT/);
    } finally {
      await plain.stop();
    }
  });

  it("a node refuses a running host's data directory", async () => {
    tb = await startTestBroker();
    // what a running host leaves there: runtime.json naming its pid (a live process whose command line says alicia)
    const standIn = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'alicia-host-stand-in'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'runtime.json'), JSON.stringify({ pid: standIn.pid }));
      const err = await startServiceNode({ brokerUrl: tb.url, dataDir: dir, name: 'node-b', services: ['stt'], log: quiet }).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/another Alicia host .* is using/);
    } finally {
      standIn.kill('SIGKILL');
    }
  });

  it('alicia node flags: the broker and the services are required, the name is never the host', () => {
    const ok = parseNodeArgs(['--broker', 'mqtt://10.0.0.2:1883', '--services', 'stt,tts', '--name', 'kitchen-box', '--data-dir', dir]);
    expect(ok).toMatchObject({ brokerUrl: 'mqtt://10.0.0.2:1883', services: ['stt', 'tts'], name: 'kitchen-box', dataDir: dir });
    expect(() => parseNodeArgs(['--services', 'stt'])).toThrow(/--broker URL is required/);
    expect(() => parseNodeArgs(['--broker', 'mqtt://h:1'])).toThrow(/--services LIST is required/);
    expect(() => parseNodeArgs(['--broker', 'mqtt://h:1', '--services', 'stt,nope'])).toThrow(/unknown service "nope"/);
    expect(() => parseNodeArgs(['--broker', 'mqtt://h:1', '--services', 'stt', '--name', 'host'])).toThrow(/--name/);
    expect(() => parseNodeArgs(['--broker', 'http://h:1', '--services', 'stt'])).toThrow(/--broker/);
  });
});
