import { join } from 'node:path';
import { SERVICE_NAMES, SHARED_WINDOW, type StoredPrincipal } from '../../../services/lib/protocol/services.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { CREDENTIALS_FILE, type Credentials } from '../broker/credentials.js';
import type { SessionBroker } from '../broker/windowSessions.js';
import type { PartStack } from '../partStack.js';
import { probeBroker } from './brokerProbe.js';
import { probeSharedSubscriptions } from './sharedProbe.js';
import { resolveExternalBroker, type ExternalBroker, type ExternalBrokerSettings } from './externalBroker.js';
import { HostRecordGuard } from './hostRecordGuard.js';
import { MqttBus } from './mqttBus.js';
import { WindowProxy } from './windowProxy.js';

export interface ExternalBusesOptions {
  settings: ExternalBrokerSettings;
  dataDir: string;
  credentials: Credentials;
  /** the window's listen address and WebSocket port (the proxy's), its certificate with `tls` */
  host: string;
  wsPort: number;
  tls: { cert: string; key: string } | null;
  allowedOrigins: readonly string[];
  log: Logger;
  /** each part started here is tracked, so a later failure stops it */
  parts: PartStack;
}

/** The host's parts as clients of the user's own broker. */
export interface ExternalBuses {
  broker: ExternalBroker;
  /** the `host` part (records, configs, window sessions, credential requests; the desktop tray), guarded */
  host: HostRecordGuard;
  /** the `host` part's connection: its lost/restored events are the host's */
  hostConnection: MqttBus;
  supervisor: MqttBus;
  /** receives every message (the recorder) */
  recorder: MqttBus;
  /** the window's connections: the proxy's, or none the host can see (the broker's own WebSocket) */
  sessions: SessionBroker;
  /** where the window connects */
  wsUrl: string;
  /** how: through the host's proxy, or straight to the broker's WebSocket listener (`--broker-ws`) */
  window: 'proxy' | 'broker';
  /** the broker has shared subscriptions (sharedProbe.ts): instances of a service split its requests */
  shared: boolean;
}

/** With `--broker-ws` the window's connections go straight to the broker: the host sees none of them. */
const UNSEEN_SESSIONS: SessionBroker = {
  connectionsOf: () => 0,
  disconnectPrincipal: () => 0,
  onConnectionChange: () => () => undefined,
};

/**
 * Connect the host's parts to the user's own broker (docs/architecture.md, "On your broker"):
 * first one CONNECT per principal that will connect (services, the host's parts, the shared window
 * credential, the operator), so a broker that is not there or refuses a credential stops the start in
 * one line (brokerProbe.ts) before any service is launched; then the `host`, `supervisor` and
 * `recorder` connections, each with its own credential, and the window's proxy.
 */
export async function startExternalBuses(o: ExternalBusesOptions): Promise<ExternalBuses> {
  const broker = resolveExternalBroker(o.settings, o.dataDir);
  const log = o.log.child('broker');
  const probed: StoredPrincipal[] = ['host', 'supervisor', 'recorder', ...SERVICE_NAMES, SHARED_WINDOW, 'operator'];
  await probeBroker({
    url: broker.url,
    tls: broker.tls,
    credentials: probed.map((p) => ({ principal: p, credential: o.credentials.get(p) })),
    credentialsFile: join(o.dataDir, CREDENTIALS_FILE),
  });
  const shared = await probeSharedSubscriptions({
    url: broker.url,
    tls: broker.tls,
    principal: 'operator',
    credential: o.credentials.get('operator'),
  });
  if (!shared)
    log.warn(
      'your broker has no shared subscriptions ($share/<group>/<filter>): each service runs once, on the host, and service nodes cannot join',
      { url: broker.url },
    );
  const bus = (principal: 'host' | 'supervisor' | 'recorder', firehose = false) => {
    const b = new MqttBus({
      principal,
      url: broker.url,
      credential: o.credentials.get(principal),
      tls: broker.tls,
      clientId: `alicia-${principal}`,
      log,
      firehose,
    });
    o.parts.track(`${principal} connection`, () => b.stop());
    return b;
  };
  const hostConnection = bus('host');
  await hostConnection.start();
  const supervisor = bus('supervisor');
  await supervisor.start();
  const recorder = bus('recorder', true);
  await recorder.start();
  const host = new HostRecordGuard(hostConnection, log);
  o.parts.track('host record guard', () => host.stop());
  await host.start();

  if (broker.wsUrl) {
    log.info("the window connects to the broker's own WebSocket listener", { url: broker.wsUrl });
    return {
      broker,
      host,
      hostConnection,
      supervisor,
      recorder,
      sessions: UNSEEN_SESSIONS,
      wsUrl: broker.wsUrl,
      window: 'broker',
      shared,
    };
  }
  const proxy = new WindowProxy({
    host: o.host,
    port: o.wsPort,
    tls: o.tls,
    allowedOrigins: o.allowedOrigins,
    upstreamUrl: broker.url,
    upstreamTls: broker.tls,
    upstreamCredential: () => o.credentials.get(SHARED_WINDOW),
    credentials: o.credentials,
    log,
  });
  o.parts.track('window proxy', () => proxy.stop());
  await proxy.start();
  return { broker, host, hostConnection, supervisor, recorder, sessions: proxy, wsUrl: proxy.url, window: 'proxy', shared };
}
