import { AliciaBroker } from '../../broker/broker.js';
import { Credentials } from '../../broker/credentials.js';
import { Recorder } from '../recorder.js';
import { createLogger } from '../../../../services/lib/runtime/logger.js';

/**
 * A minimal host for the durability test: broker + recorder in one process that the test kills
 * with SIGKILL. Usage: node recorderHost.js <dataDir> <dbPath>. Prints JSON lines on stdout:
 * {"ready":{url,username,password}} once listening, then {"commit":{lastId,lastTime,total}} after
 * every committed batch (the durability watermark the test checks after the kill).
 */
async function main(): Promise<void> {
  const [dataDir, dbPath] = process.argv.slice(2);
  if (!dataDir || !dbPath) throw new Error('usage: recorderHost <dataDir> <dbPath>');
  const credentials = await Credentials.loadOrCreate(dataDir);
  const broker = new AliciaBroker({
    dataDir,
    credentials,
    mqttPort: 0,
    wsPort: 0,
    statsIntervalMs: 0,
    log: createLogger('broker', { sink: () => undefined }),
  });
  await broker.start();
  const recorder = new Recorder({
    dbPath,
    bus: broker,
    flushIntervalMs: 20,
    batchSize: 200,
    onCommit: (c) =>
      process.stdout.write(`${JSON.stringify({ commit: { lastId: c.lastId, lastTime: c.lastTime, total: c.totalWritten } })}\n`),
  });
  await recorder.start();
  const op = credentials.all().operator;
  process.stdout.write(`${JSON.stringify({ ready: { url: broker.addresses.mqttUrl, username: op.username, password: op.password } })}\n`);
  const shutdown = () => {
    void recorder
      .stop()
      .then(() => broker.stop())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
