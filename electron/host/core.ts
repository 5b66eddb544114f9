import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { seal } from '../../services/lib/protocol/envelope.js';
import { nodeClientId } from '../../services/lib/protocol/nodes.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import type { StoredPrincipal } from '../../services/lib/protocol/services.js';
import { topicFor } from '../../services/lib/protocol/topics.js';
import type { Logger } from '../../services/lib/runtime/logger.js';
import { Bridge } from './bridge/bridge.js';
import { AliciaBroker } from './broker/broker.js';
import { brokerLimitsFromConfig } from './broker/brokerSettings.js';
import { Credentials } from './broker/credentials.js';
import { CredentialRotation, DEVICE_CREDENTIALS_DIR } from './broker/credentialRotation.js';
import { certificateNamesFor, loadOrCreateLanCertificate, startLanListener, type LanCertificate } from './broker/tls.js';
import { WindowSessions, type SessionBroker } from './broker/windowSessions.js';
import type { BrokerAddresses, InProcessBus } from './broker/types.js';
import type { AliciaConfig } from './config.js';
import { tlsEnv } from './external/externalBroker.js';
import { startExternalBuses, type ExternalBuses } from './external/externalBuses.js';
import { PartStack } from './partStack.js';
import { RECORDER_DB } from './paths.js';
import { Recorder } from './recorder/recorder.js';
import type { Launcher } from './supervisor/launcher.js';
import { Supervisor } from './supervisor/supervisor.js';
import { supervisorSettings } from './supervisor/supervisorSettings.js';
import type { ServiceStateName } from './supervisor/supervisedService.js';

export interface CoreOptions {
  /** must exist and be writable (the caller checks, so it can name the path in its error) */
  dataDir: string;
  host: string;
  /** 0 = any free port */
  mqttPort: number;
  wsPort: number;
  launcher: Launcher;
  /** holds <name>/main.js per service (dist/services) */
  servicesDir: string;
  config: AliciaConfig;
  log: Logger;
  /** browser Origins allowed on the WebSocket listener (the window's origin) */
  allowedOrigins?: string[];
  /** the app's version (package.json), published on alicia/system/host; default "0.0.0" */
  version?: string;
  /** the TLS certificate, when the caller loaded it already (hostCertificate()); loaded here otherwise */
  certificate?: LanCertificate | null;
}

/**
 * The certificate, when anything speaks TLS (`tls`: the window's HTTPS and the broker's WSS;
 * `lan.enabled`: MQTT over TLS); null otherwise. Self-signed, made on first use; it names every
 * address it is served on, and is re-issued with the same key when one is new (logged with both
 * fingerprints, for whoever pinned the old one).
 */
export async function hostCertificate(dataDir: string, config: AliciaConfig, host: string, log: Logger): Promise<LanCertificate | null> {
  if (!config.tls && !config.lan.enabled) return null;
  const hosts = [...(config.tls ? [host] : []), ...(config.lan.enabled ? [config.lan.host] : [])];
  const certificate = await loadOrCreateLanCertificate(dataDir, certificateNamesFor(hosts));
  if (certificate.replacedFingerprint256) {
    log.warn('TLS certificate re-issued for a new address: re-pin it where the old fingerprint was pinned', {
      old_fingerprint256: certificate.replacedFingerprint256,
      fingerprint256: certificate.fingerprint256,
      hosts,
    });
  }
  return certificate;
}

/** Which broker the host is on, as its record on alicia/system/host says (services/lib/protocol/system.ts). */
export interface BrokerInfo {
  mode: 'embedded' | 'external';
  /** where services and tools connect */
  url: string;
  /** how the window reaches it */
  window: 'embedded' | 'proxy' | 'broker';
}

export interface Core {
  readonly dataDir: string;
  /** the embedded broker; null on the user's own broker (config broker.external, `--broker`) */
  readonly broker: AliciaBroker | null;
  /** the host's own bus: the embedded broker in-process, or the `host` principal's connection to the user's broker */
  readonly bus: InProcessBus;
  readonly brokerInfo: BrokerInfo;
  readonly credentials: Credentials;
  /** null when disabled in config (recorder.enabled: false) */
  readonly recorder: Recorder | null;
  readonly supervisor: Supervisor;
  /** mqttUrl (services, tools) and wsUrl (the window: the embedded broker's WebSocket, the host's proxy, or the user's broker's) */
  readonly addresses: BrokerAddresses;
  /** the LAN TLS listener and its certificate fingerprint (for the window); null unless config lan.enabled */
  readonly lan: { url: string; fingerprint256: string } | null;
  /** the certificate of the window's HTTPS and the broker's WSS; null unless config tls */
  readonly tls: LanCertificate | null;
  /** the window sessions: one broker credential each (browser sign-ins, the desktop app's window) */
  readonly windowSessions: WindowSessions;
  /** Resolves when every enabled service is running or has settled (crashed/failed), or after timeoutMs. */
  whenServicesSettled(timeoutMs?: number): Promise<Record<string, ServiceStateName>>;
  /** Stops supervisor (services) -> recorder -> broker, each failure logged and the next still run. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The host-agnostic core, used by the headless host and by Electron main: credentials -> broker ->
 * recorder -> supervisor (+ services), stopped in reverse order (Zigbee2MQTT's controller: start in
 * order, stop in reverse, catching each failure so the next part still stops).
 */
export async function startCore(opts: CoreOptions): Promise<Core> {
  const { config, log } = opts;
  const parts = new PartStack((name, e) => log.error(`stopping ${name} failed`, { error: (e as Error).message }));
  const stopAll = async () => void (await parts.stop());
  try {
    // step 1: credentials (<dataDir>/credentials.json, 0600)
    const credentials = await Credentials.loadOrCreate(opts.dataDir);

    // step 1b: the certificate, when anything speaks TLS
    const certificate = opts.certificate !== undefined ? opts.certificate : await hostCertificate(opts.dataDir, config, opts.host, log);

    // step 2: the broker: the embedded one, or the host's parts as clients of the user's own
    const external = config.broker.external;
    let broker: AliciaBroker | null = null;
    let ext: ExternalBuses | null = null;
    let hostBus: InProcessBus;
    let supervisorBus: InProcessBus;
    let recorderBus: InProcessBus;
    let sessionBroker: SessionBroker;
    let addresses: BrokerAddresses;
    let lan: { url: string; fingerprint256: string } | null = null;
    const tls = config.tls && certificate ? { cert: certificate.cert, key: certificate.key } : null;
    if (external) {
      ext = await startExternalBuses({
        settings: external,
        dataDir: opts.dataDir,
        credentials,
        host: opts.host,
        wsPort: opts.wsPort,
        tls,
        allowedOrigins: opts.allowedOrigins ?? [],
        log,
        parts,
      });
      hostBus = ext.host;
      supervisorBus = ext.supervisor;
      recorderBus = ext.recorder;
      sessionBroker = ext.sessions;
      addresses = { mqttUrl: ext.broker.url, wsUrl: ext.wsUrl };
      log.info('on your own broker (nothing embedded)', { url: ext.broker.url, window: ext.window });
    } else {
      const b = new AliciaBroker({
        dataDir: opts.dataDir,
        credentials,
        host: opts.host,
        tls,
        mqttPort: opts.mqttPort,
        wsPort: opts.wsPort,
        allowedOrigins: opts.allowedOrigins ?? [],
        ...brokerLimitsFromConfig(config.broker),
        log: log.child('broker'),
      });
      parts.track('broker', () => b.stop());
      await b.start();
      broker = b;
      hostBus = supervisorBus = recorderBus = b;
      sessionBroker = b;
      addresses = b.addresses;

      // step 2b: LAN access, off by default, TLS only (self-signed certificate made on first use; docs/security.md)
      if (config.lan.enabled && certificate) {
        const listener = await startLanListener((s) => b.acceptConnection(s), {
          host: config.lan.host,
          port: config.lan.port,
          certificate,
        });
        parts.track('lan listener', () => listener.close());
        lan = { url: listener.url, fingerprint256: listener.fingerprint256 };
        log.info('LAN access on (MQTT over TLS)', { url: listener.url, fingerprint256: listener.fingerprint256 });
      }
    }
    const brokerInfo: BrokerInfo = ext
      ? { mode: 'external', url: ext.broker.url, window: ext.window }
      : { mode: 'embedded', url: addresses.mqttUrl, window: 'embedded' };

    // The host's own record (the LAN certificate fingerprint shown in the window; the MQTT address,
    // which the window cannot see from its WebSocket; which broker), retained. No client may publish
    // it (acl.ts HOST_ONLY_TOPICS; on the user's broker hostRecordGuard.ts puts it back).
    const startedAt = Date.now();
    const outages = { count: 0, last: null as { lost_at: number; restored_at: number } | null };
    const publishHostInfo = () => {
      const hostInfo = seal(
        {
          version: opts.version ?? '0.0.0',
          mqtt_url: addresses.mqttUrl,
          lan: lan ? { enabled: true, url: lan.url, fingerprint256: lan.fingerprint256 } : null,
          tls: config.tls && certificate ? { fingerprint256: certificate.fingerprint256 } : null,
          started_at: startedAt,
          broker: { ...brokerInfo, ...(ext ? { outages: outages.count, last_outage: outages.last } : {}) },
        },
        { source: 'host' },
      );
      return hostBus.publish(topicFor('alicia/system/host'), JSON.stringify(hostInfo), { qos: 1, retain: true });
    };
    await publishHostInfo();

    // step 2c: window sessions (a broker credential per signed-in window; the list on the bus)
    const windowSessions = new WindowSessions({
      bus: hostBus,
      credentials,
      broker: sessionBroker,
      idleMs: config.window.session_idle_minutes * 60_000,
      brokerChecksPublishers: ext !== null,
      log,
    });
    parts.track('window sessions', () => windowSessions.stop());
    await windowSessions.start();

    // step 3: recorder (every message -> SQLite)
    let recorder: Recorder | null = null;
    if (config.recorder.enabled) {
      const r = new Recorder({
        dbPath: join(opts.dataDir, RECORDER_DB),
        bus: recorderBus,
        ...(ext ? { gaps: () => ({ ...ext.recorder.gaps() }) } : {}),
        limits: {
          maxAgeMs: config.recorder.max_age_hours * 3600_000,
          maxBytes: config.recorder.max_bytes,
          maxRows: config.recorder.max_rows,
        },
        writerNice: config.recorder.writer_nice,
        log: log.child('recorder'),
      });
      parts.track('recorder', () => r.stop());
      await r.start();
      recorder = r;
    }

    // step 3b: bridges to the user's own brokers (config broker.bridges): before the services, so the
    // device manager finds the adopted devices' discovery configs already retained when it subscribes
    for (const settings of config.broker.bridges) {
      const bridge = new Bridge({
        settings,
        localUrl: addresses.mqttUrl,
        localCredential: () => credentials.get('bridge'),
        log: log.child('bridge'),
      });
      parts.track(`bridge ${settings.name}`, () => bridge.stop());
      await bridge.start();
    }

    // Each service's config section, retained where it may read it (alicia/system/config/<name>).
    const publishConfigs = async () => {
      for (const name of SERVICE_NAMES) {
        const msg = seal(config.services[name].config, { source: 'host' });
        await hostBus.publish(topicFor('alicia/system/config/+', name), JSON.stringify(msg), { qos: 1, retain: true });
      }
    };
    await publishConfigs();

    // step 4: supervisor + services
    mkdirSync(join(opts.dataDir, 'logs'), { recursive: true, mode: 0o700 });
    const embedded = broker;
    const supervisor = new Supervisor({
      bus: supervisorBus,
      launcher: opts.launcher,
      servicesDir: opts.servicesDir,
      dataDir: opts.dataDir,
      services: SERVICE_NAMES.map((name) => ({ name, enabled: config.services[name].enabled, config: config.services[name].config })),
      mqttUrl: addresses.mqttUrl,
      credentialFor: (name) => credentials.get(name as StoredPrincipal),
      log,
      ...supervisorSettings(config),
      extraEnv: {
        ALICIA_LOG_LEVEL: config.log_level,
        ...(ext ? tlsEnv(ext.broker) : {}),
        // a broker without shared subscriptions: request topics plainly (each service runs once here)
        ...(ext && !ext.shared ? { ALICIA_MQTT_SHARED: '0' } : {}),
        // the user's broker may restore shared subscriptions that deliver nothing (Subscriptions.renewShared)
        ...(ext?.shared ? { ALICIA_MQTT_SHARED_RENEW: '1' } : {}),
      },
      // on its own broker the host sees who is connected, so it can answer for a node that is not
      ...(embedded ? { nodeConnected: (node: string) => embedded.principalOf(nodeClientId(node)) === 'node' } : {}),
    });
    parts.track('supervisor', () => supervisor.stop());
    await supervisor.start();

    // step 5: credential rotation requests from the window / operator (docs/security.md)
    const rotation = new CredentialRotation({
      bus: hostBus,
      credentials,
      disconnectPrincipal: (p) => broker?.disconnectPrincipal(p) ?? 0,
      brokerChecksPublishers: ext !== null,
      ...(ext
        ? {
            managedElsewhere: `Alicia is on your own broker (${ext.broker.url}), which keeps its own copy of the passwords: rotate them and add devices there (for Mosquitto: edit ${join(opts.dataDir, 'credentials.json')}, run alicia broker-config again and reload it)`,
          }
        : {}),
      deviceCredentialsDir: join(opts.dataDir, DEVICE_CREDENTIALS_DIR),
      restartService: (name) => supervisor.control('restart', name),
      log,
    });
    parts.track('credential rotation', () => rotation.stop());
    await rotation.start();

    // step 6 (the user's broker): the host's own connection lost and back. MQTT.js reconnects by
    // itself, as does every service; the host logs it (mqttBus.ts), counts it on its record, and
    // publishes its records again in case the broker came back without them (no persistence).
    if (ext) {
      let lostAt: number | null = null;
      const off = ext.hostConnection.onConnectionChange((e) => {
        if (!e.connected) {
          lostAt = e.at;
          return;
        }
        if (lostAt === null) return;
        outages.count++;
        outages.last = { lost_at: lostAt, restored_at: e.at };
        lostAt = null;
        void publishHostInfo()
          .then(publishConfigs)
          .catch((err: unknown) => log.warn('could not publish the host records again', { error: (err as Error).message }));
      });
      parts.track('broker connection watch', off);
    }

    let stopping: Promise<void> | undefined;
    return {
      dataDir: opts.dataDir,
      broker,
      bus: hostBus,
      brokerInfo,
      credentials,
      recorder,
      supervisor,
      addresses,
      lan,
      tls: config.tls ? certificate : null,
      windowSessions,
      whenServicesSettled: (timeoutMs) => supervisor.whenSettled(timeoutMs),
      stop: () => (stopping ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
