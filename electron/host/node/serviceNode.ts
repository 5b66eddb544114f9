import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { nodeClientId } from '../../../services/lib/protocol/nodes.js';
import type { ServiceName } from '../../../services/lib/protocol/services.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { loadConfig } from '../config.js';
import type { ExternalTls } from '../external/externalBroker.js';
import { MqttBus } from '../external/mqttBus.js';
import { probeSharedSubscriptions } from '../external/sharedProbe.js';
import { checkNotRunning, createHostLogger, prepareDataDir } from '../headless.js';
import { PartStack } from '../partStack.js';
import { servicesDir } from '../paths.js';
import type { Launcher } from '../supervisor/launcher.js';
import { NodeLauncher } from '../supervisor/nodeLauncher.js';
import type { ServiceStateName } from '../supervisor/supervisedService.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { supervisorSettings } from '../supervisor/supervisorSettings.js';
import { readNodeCredentials } from './nodeCredentials.js';

export interface ServiceNodeOptions {
  /** the host's broker: its LAN listener (mqtts://HOST:8883), or the user's own broker */
  brokerUrl: string;
  dataDir: string;
  /** this node's name (services/lib/protocol/nodes.ts), never the host's */
  name: string;
  services: ServiceName[];
  /** the exported credentials (default DIR/node-credentials.json) */
  credentialsFile?: string;
  /** a CA file (PEM) for mqtts:// to a broker whose certificate is self-signed (the host's LAN listener) */
  caFile?: string;
  launcher?: Launcher;
  log?: Logger;
}

export interface RunningNode {
  supervisor: Supervisor;
  /** every service settled (running, or failed/crashed) */
  settled: Record<string, ServiceStateName>;
  /** stops the services, says offline, disconnects. Idempotent. */
  stop(): Promise<void>;
}

export const NODE_CREDENTIALS_FILE = 'node-credentials.json';
/** how long a stopping node waits to say it is offline */
const BYE_TIMEOUT_MS = 2_000;

/**
 * A service node (`alicia node`): a supervisor for some services on another machine, against the
 * host's broker. Steps: credentials (the exported file) -> is the broker splitting requests between
 * instances (shared subscriptions; without them a second instance would answer every request the
 * host's answers, so the node refuses to start) -> its own connection as principal `node`, whose
 * last will marks its record offline -> the supervisor and its services. Stopped in reverse.
 */
export async function startServiceNode(o: ServiceNodeOptions): Promise<RunningNode> {
  const dataDir = resolve(o.dataDir);
  prepareDataDir(dataDir);
  checkNotRunning(dataDir);
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const config = loadConfig(dataDir);
  const log = o.log ?? createHostLogger(dataDir, config.log_level, 'node');
  const creds = readNodeCredentials(o.credentialsFile ?? join(dataDir, NODE_CREDENTIALS_FILE), o.services);
  const tls: ExternalTls | null = o.caFile ? { ca: readPem(o.caFile), rejectUnauthorized: true } : null;

  const shared = await probeSharedSubscriptions({ url: o.brokerUrl, tls, principal: 'node', credential: creds.node });
  if (!shared) {
    throw new AliciaError(
      'CONFIG_INVALID',
      `the broker at ${o.brokerUrl} has no shared subscriptions ($share/<group>/<filter>): ${o.services.join(', ')} here would answer ` +
        `every request the host's answer too; run each service on one machine only (MQTT 5 brokers, Mosquitto 2, EMQX and HiveMQ have them)`,
    );
  }

  const parts = new PartStack((name, e) => log.error(`stopping ${name} failed`, { error: (e as Error).message }));
  try {
    const offline = seal({ node: o.name, online: false, shared, services: [] }, { source: 'supervisor' });
    const bus = new MqttBus({
      principal: 'node',
      url: o.brokerUrl,
      credential: creds.node,
      tls,
      clientId: nodeClientId(o.name),
      log: log.child('broker'),
      will: { topic: topicFor('alicia/system/nodes/+', o.name), payload: JSON.stringify(offline), qos: 1, retain: true },
    });
    parts.track('node connection', async () => {
      // a clean stop says offline itself (the will is only for a lost connection)
      const bye = seal({ node: o.name, online: false, shared, services: [] }, { source: 'supervisor' });
      // with the broker gone the publish would wait for it forever: the will says it instead
      const said = bus.publish(topicFor('alicia/system/nodes/+', o.name), JSON.stringify(bye), { qos: 1, retain: true });
      await Promise.race([said.catch(() => undefined), new Promise((r) => setTimeout(r, BYE_TIMEOUT_MS).unref())]);
      await bus.stop();
    });
    await bus.start();

    const supervisor = new Supervisor({
      bus,
      launcher: o.launcher ?? new NodeLauncher(),
      servicesDir: servicesDir(),
      dataDir,
      services: o.services.map((name) => ({ name, enabled: true, config: config.services[name].config })),
      mqttUrl: o.brokerUrl,
      credentialFor: (name) => {
        const c = creds.services.get(name as ServiceName);
        if (!c) throw new AliciaError('CONFIG_INVALID', `no credential for ${name} on this node`);
        return c;
      },
      log,
      ...supervisorSettings(config),
      extraEnv: {
        ALICIA_LOG_LEVEL: config.log_level,
        ...(o.caFile ? { ALICIA_MQTT_CA_FILE: resolve(o.caFile) } : {}),
        // the broker may be the user's Mosquitto (Subscriptions.renewShared); a node's instance is never
        // the last member of its group (the host runs the service too), so renewing costs nothing here
        ALICIA_MQTT_SHARED_RENEW: '1',
      },
      node: o.name,
      shared,
    });
    parts.track('supervisor', () => supervisor.stop());
    await supervisor.start();
    const settled = await supervisor.whenSettled();
    log.info('node ready', { node: o.name, broker: o.brokerUrl, services: settled });
    let stopping: Promise<void> | undefined;
    return { supervisor, settled, stop: () => (stopping ??= parts.stop().then(() => undefined)) };
  } catch (e) {
    await parts.stop();
    throw e;
  }
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new AliciaError('CONFIG_INVALID', `--ca ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
