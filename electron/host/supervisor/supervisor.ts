import { join } from 'node:path';
import { decode, peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../../services/lib/protocol/errors.js';
import type { ErrorInfo } from '../../../services/lib/protocol/errors.js';
import { HOST_NODE, instanceId } from '../../../services/lib/protocol/nodes.js';
import { lastSegment, topicFor } from '../../../services/lib/protocol/topics.js';
import type { BodyOf } from '../../../services/lib/protocol/topics.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import type { BusPacket, Credential, InProcessBus } from '../broker/types.js';
import type { Launcher, LaunchSpec } from './launcher.js';
import { inheritedEnv } from './serviceEnv.js';
import { PoolLauncher } from './poolLauncher.js';
import { runsShared, SERVICE_ALLOCATOR_ENV, serviceFlags, SHARED_PROCESS_V8_FLAGS } from './serviceFlags.js';
import { ServiceLog } from './serviceLog.js';
import { DEFAULT_POLICY, SupervisedService } from './supervisedService.js';
import type { RestartPolicy, ServiceStateName, ServiceStatus } from './supervisedService.js';

export interface SupervisedServiceSpec {
  name: string;
  /** launch it at start() (a disabled service can still be started by a request) */
  enabled: boolean;
  /** this service's config section, passed as ALICIA_SERVICE_CONFIG (JSON); omitted when undefined */
  config?: unknown;
  /** entry module; default <servicesDir>/<name>/main.js */
  modulePath?: string;
}

export interface SupervisorOptions {
  bus: InProcessBus;
  launcher: Launcher;
  /** directory holding <name>/main.js for each service (dist/services) */
  servicesDir: string;
  /** the host's data dir: logs go to <dataDir>/logs, service data to <dataDir>/services/<name> */
  dataDir: string;
  /** in launch order */
  services: SupervisedServiceSpec[];
  /** URL the services connect to (the broker's TCP listener) */
  mqttUrl: string;
  /** the broker credential of a service (read at every launch, so a rotation applies on the next start) */
  credentialFor: (service: string) => Credential;
  log: Logger;
  policy?: Partial<RestartPolicy>;
  /** log files: rotate past this size (default 5 MiB), keep this many old ones (default 3) */
  logFile?: { maxBytes?: number; keep?: number };
  /** extra env for every service (e.g. ALICIA_LOG_LEVEL); never credentials of other principals */
  extraEnv?: Record<string, string>;
  /**
   * The node this supervisor runs on (services/lib/protocol/nodes.ts); default the host. The host's
   * publishes each service's state on alicia/system/services/<name>; any other node's publishes one
   * retained record, alicia/system/nodes/<node>, with the states of all its services.
   */
  node?: string;
  /** a node's record also says whether the broker splits requests between instances */
  shared?: boolean;
  /**
   * Run the services SERVICE_PROCESS (serviceFlags.ts) marks shared as worker threads of one
   * process, started through `launcher` (config `supervisor.service_pool`; default off here,
   * the host and nodes pass the config's).
   */
  servicePool?: boolean;
  /**
   * The host's supervisor on its own broker: whether a node's supervisor is connected now
   * (nodeClientId). With it, a request naming a node that is not connected and has published no
   * record (alicia/system/nodes/<node>) since the host started gets UNKNOWN_NODE from the host: no
   * supervisor would answer it, and the requester waited for its timeout. The connection counts too
   * because the embedded broker keeps retained records in memory only: after a host restart a node
   * that is back is connected before it publishes its record again. Without it (a node's supervisor;
   * the host on the user's broker, whose connections it cannot see) such requests are left alone.
   */
  nodeConnected?: (node: string) => boolean;
}

const SOURCE = 'supervisor';

/**
 * Runs the services: launches each through the Launcher, watches readiness on the bus
 * (discovery register + first heartbeat of that pid), restarts crashes with backoff, publishes each
 * service's state retained on alicia/system/services/<name>, and answers
 * alicia/system/supervisor/request. Constructor assigns; start() acquires; stop() releases and is idempotent.
 */
export class Supervisor {
  private readonly services = new Map<string, SupervisedService>();
  private readonly logs = new Map<string, ServiceLog>();
  private readonly policy: RestartPolicy;
  private unsubscribes: (() => Promise<void>)[] = [];
  private started = false;
  private stopping: Promise<void> | undefined;

  private readonly node: string;
  /** nodes whose record (alicia/system/nodes/<node>) was published since start(), with nodeConnected only */
  private readonly nodesSeen = new Set<string>();

  /** the shared service process's launcher, when the services pool (made here: its env is the services') */
  private readonly pool: PoolLauncher | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.policy = { ...DEFAULT_POLICY, ...opts.policy };
    this.node = opts.node ?? HOST_NODE;
    this.pool = opts.servicePool
      ? new PoolLauncher(
          opts.launcher,
          {
            name: 'service pool',
            // no credential here: each service's thread gets its own environment (launchSpec below)
            env: { ...inheritedEnv(process.env), ...SERVICE_ALLOCATOR_ENV },
            cwd: join(opts.dataDir, 'services'),
            execArgv: [...SHARED_PROCESS_V8_FLAGS],
          },
          (text) => opts.log.warn('the shared service process wrote', { text: text.trimEnd() }),
        )
      : undefined;
  }

  /** A node's record while it runs (its connection's last will, set by the node, says offline). */
  private nodeRecord(): BodyOf<'alicia/system/nodes/+'> {
    return {
      node: this.node,
      online: true,
      ...(this.opts.shared !== undefined ? { shared: this.opts.shared } : {}),
      services: this.status().map((s) => this.withInstance(s)),
    };
  }

  private withInstance(s: ServiceStatus): BodyOf<'alicia/system/services/+'> {
    return { ...s, node: this.node, instance: instanceId(s.service, this.node) };
  }

  /** Registrations and heartbeats name their instance: another node's run of the same service (whose pid may be the same) is not ours. */
  private ours(m: { service: string; instance?: string | undefined }): boolean {
    return m.instance === undefined || m.instance === instanceId(m.service, this.node);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { bus } = this.opts;
    for (const spec of this.opts.services) this.add(spec);
    // Readiness evidence. The in-process subscription sees every message the broker accepted.
    this.unsubscribes.push(
      await bus.subscribe(topicFor('alicia/system/discovery/register'), (p) => this.onRegister(p)),
      await bus.subscribe('alicia/health/heartbeat/+', (p) => this.onHeartbeat(p)),
      await bus.subscribe('alicia/system/supervisor/request', (p) => void this.onRequest(p)),
    );
    if (this.opts.nodeConnected) {
      this.unsubscribes.push(
        await bus.subscribe('alicia/system/nodes/+', (p) => {
          // an empty payload clears the record: the node was removed
          if (p.payload.length === 0) this.nodesSeen.delete(lastSegment(p.topic));
          else this.nodesSeen.add(lastSegment(p.topic));
        }),
      );
    }
    // Publish every service's state once, so a retained `running` left by a previous host run
    // (with a pid that no longer exists) is replaced before anything reads it.
    if (this.node === HOST_NODE) for (const s of this.services.values()) this.publishState(s.status());
    else this.publishNodeRecord();
    for (const spec of this.opts.services) {
      if (spec.enabled) void this.services.get(spec.name)!.start();
    }
  }

  /** Resolves when every enabled service is running or has settled otherwise (crashed/failed), or after timeoutMs. */
  async whenSettled(timeoutMs = this.policy.readyTimeoutMs + 2000): Promise<Record<string, ServiceStateName>> {
    const out: Record<string, ServiceStateName> = {};
    await Promise.all(
      [...this.services.values()].map(async (s) => {
        out[s.name] = await s.whenSettled(timeoutMs);
      }),
    );
    return out;
  }

  status(): ServiceStatus[] {
    return [...this.services.values()].map((s) => s.status());
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  /**
   * Start/stop/restart one service or all ('*'); the same operation the bus request performs. `by`:
   * the principal that asked (published with the stopped state, so a stop reads as asked for).
   */
  async control(
    action: 'start' | 'stop' | 'restart',
    service: string,
    by?: string,
  ): Promise<{ service: string; state: ServiceStateName }[]> {
    const targets = service === '*' ? [...this.services.values()] : [this.services.get(service)];
    if (targets.some((t) => t === undefined))
      throw new AliciaError('SERVICE_UNKNOWN', `unknown service ${JSON.stringify(service)}; known: ${this.names().join(', ')}`);
    const run = (t: SupervisedService): Promise<ServiceStateName> =>
      action === 'start'
        ? t.start()
        : action === 'restart'
          ? t.restart(by)
          : t.stop(by === undefined ? { reason: 'request' } : { reason: 'request', by });
    return Promise.all((targets as SupervisedService[]).map(async (t) => ({ service: t.name, state: await run(t) })));
  }

  /** Stop every service (in parallel: each gets the stop message, then SIGKILL after the grace period). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    for (const u of this.unsubscribes.splice(0)) await u().catch(() => undefined);
    await Promise.all(
      [...this.services.values()].map((s) =>
        s.stop({ reason: 'host' }).catch((e: unknown) => this.opts.log.error('stop failed', { service: s.name, error: String(e) })),
      ),
    );
    for (const l of this.logs.values()) l.close();
  }

  private add(spec: SupervisedServiceSpec): void {
    const { opts } = this;
    const logsDir = join(opts.dataDir, 'logs');
    const serviceDir = join(opts.dataDir, 'services', spec.name);
    let fileErrorReported = false;
    const log = new ServiceLog({
      service: spec.name,
      filePath: join(logsDir, `${spec.name}.log`),
      bus: opts.bus,
      file: opts.logFile ?? {},
      secrets: () => {
        try {
          return [opts.credentialFor(spec.name).password];
        } catch {
          return [];
        }
      },
      onFileError: (err) => {
        if (!fileErrorReported) opts.log.error('cannot write service log file', { service: spec.name, error: err.message });
        fileErrorReported = true;
      },
    });
    this.logs.set(spec.name, log);
    const launchSpec = (): LaunchSpec => {
      const cred = opts.credentialFor(spec.name);
      // The host's environment minus ALICIA_* (the host may hold the operator's credential there),
      // except the few every service inherits (serviceEnv.ts).
      const env = inheritedEnv(process.env);
      Object.assign(env, SERVICE_ALLOCATOR_ENV, opts.extraEnv, {
        ALICIA_SERVICE_NAME: spec.name,
        ALICIA_MQTT_URL: opts.mqttUrl,
        ALICIA_MQTT_USERNAME: cred.username,
        ALICIA_MQTT_PASSWORD: cred.password,
        ALICIA_DATA_DIR: serviceDir,
        ALICIA_NODE_NAME: this.node,
        ALICIA_INSTANCE_ID: instanceId(spec.name, this.node),
      });
      if (spec.config !== undefined) env.ALICIA_SERVICE_CONFIG = JSON.stringify(spec.config);
      return {
        name: spec.name,
        modulePath: spec.modulePath ?? join(opts.servicesDir, spec.name, 'main.js'),
        env,
        cwd: serviceDir,
        execArgv: serviceFlags(spec.name),
      };
    };
    const svc = new SupervisedService({
      name: spec.name,
      launcher: this.pool && runsShared(spec.name) ? this.pool : opts.launcher,
      spec: launchSpec,
      dirs: [serviceDir],
      policy: this.policy,
      log,
      onChange: (s) => this.publishState(s),
      enabled: spec.enabled,
    });
    this.services.set(spec.name, svc);
  }

  private publishState(status: ServiceStatus): void {
    if (this.node === HOST_NODE) {
      const msg = seal(this.withInstance(status), { source: SOURCE });
      this.opts.bus
        .publish(topicFor('alicia/system/services/+', status.service), JSON.stringify(msg), { qos: 1, retain: true })
        // Only possible while the broker is closing; the next change publishes the state again.
        .catch((e: unknown) => this.opts.log.warn('cannot publish service state', { service: status.service, error: String(e) }));
    } else {
      this.publishNodeRecord();
    }
    const level = status.state === 'crashed' || status.state === 'failed' ? 'warn' : 'info';
    this.opts.log[level](`service ${status.service} ${status.state}`, {
      pid: status.pid,
      restarts: status.restarts,
      ...(status.last_error ? { last_error: status.last_error } : {}),
    });
  }

  private publishNodeRecord(): void {
    // before start() added them all, a service's first state would make a record missing the others
    if (!this.started || this.services.size < this.opts.services.length) return;
    const msg = seal(this.nodeRecord(), { source: SOURCE });
    this.opts.bus
      .publish(topicFor('alicia/system/nodes/+', this.node), JSON.stringify(msg), { qos: 1, retain: true })
      .catch((e: unknown) => this.opts.log.warn('cannot publish the node record', { node: this.node, error: String(e) }));
  }

  private onRegister(p: BusPacket): void {
    try {
      const m = decode('alicia/system/discovery/register', p.payload);
      if (!this.ours(m)) return;
      // Trust the principal over the body: a service can only vouch for itself.
      if (p.principal !== null && p.principal !== m.service && p.principal !== 'operator') return;
      this.services.get(m.service)?.sawRegister(m.pid);
    } catch {
      /* invalid registers are the discovery service's business (it logs them) */
    }
  }

  private onHeartbeat(p: BusPacket): void {
    try {
      const m = decode('alicia/health/heartbeat/+', p.payload);
      const name = lastSegment(p.topic);
      if (m.service !== name || !this.ours(m)) return;
      if (p.principal !== null && p.principal !== name && p.principal !== 'operator') return;
      this.services.get(name)?.sawHeartbeat(m.pid, m.status);
    } catch {
      /* ignored, as above */
    }
  }

  private async onRequest(p: BusPacket): Promise<void> {
    // Every supervisor hears every request: the one of the node it names acts and answers (no node:
    // the host's). An unreadable request is the host's to answer.
    const addressed = requestNode(p.payload);
    const unknownNode = addressed !== undefined && addressed !== this.node && this.isUnknownNode(addressed);
    if ((addressed ?? HOST_NODE) !== this.node && !unknownNode) return;
    const peek = peekEnvelope(p.payload);
    let action = '';
    let service = '';
    const reply = (body: { ok: boolean; state?: string; error?: ErrorInfo; services?: unknown }) => {
      const fields = {
        source: SOURCE,
        ...(peek.correlation_id ? { correlation_id: peek.correlation_id } : {}),
        ...(peek.trace_id ? { trace_id: peek.trace_id } : {}),
      };
      const node = this.node === HOST_NODE ? {} : { node: this.node };
      const msg = seal({ service, action, ...node, ...body, ...(body.ok ? {} : { request_topic: p.topic }) }, fields);
      this.opts.bus
        .publish(topicFor('alicia/system/supervisor/response'), JSON.stringify(msg), { qos: 1, retain: false })
        .catch(() => undefined);
    };
    try {
      // raw fields first, so even a failed decode can say which service/action it was about
      try {
        const raw = JSON.parse(p.payload.toString('utf8')) as Record<string, unknown>;
        if (typeof raw.service === 'string') service = raw.service.slice(0, 64);
        if (typeof raw.action === 'string') action = raw.action.slice(0, 32);
      } catch {
        /* decode below reports it */
      }
      if (unknownNode) {
        throw new AliciaError(
          'UNKNOWN_NODE',
          `no node named ${JSON.stringify(addressed)} is connected or has been since the host started (alicia node --name NAME starts one)`,
        );
      }
      let m;
      try {
        m = decode('alicia/system/supervisor/request', p.payload);
      } catch (e) {
        // A bad action is its own code so the window can say "unknown action" rather than "bad schema".
        if (e instanceof AliciaError && e.code === 'SCHEMA_INVALID' && action && !['start', 'stop', 'restart'].includes(action)) {
          throw new AliciaError('SERVICE_BAD_ACTION', `unknown action ${JSON.stringify(action)}: use start, stop or restart`);
        }
        throw e;
      }
      service = m.service;
      action = m.action;
      const results = await this.control(m.action, m.service, p.principal ?? undefined);
      const ok = results.every((r) => (m.action === 'stop' ? r.state === 'stopped' : r.state === 'running'));
      const body: { ok: boolean; state?: string; error?: ErrorInfo; services?: unknown } = { ok };
      if (m.service === '*') body.services = results;
      else body.state = results[0]!.state;
      if (!ok) {
        const bad = results.filter((r) => (m.action === 'stop' ? r.state !== 'stopped' : r.state !== 'running'));
        body.error = {
          code: 'SERVICE_START_FAILED',
          message: bad
            .map(
              (r) =>
                `${r.service} is ${r.state}${this.services.get(r.service)?.status().last_error ? `: ${this.services.get(r.service)!.status().last_error}` : ''}`,
            )
            .join('; '),
        };
      }
      reply(body);
    } catch (e) {
      reply({
        ok: false,
        error: toErrorInfo(e),
        // the host's state of a service is no answer about another node's
        ...(!unknownNode && this.services.has(service) ? { state: this.services.get(service)!.currentState } : {}),
      });
    }
  }

  /** A node no supervisor would answer for: the host's view, with nodeConnected only. */
  private isUnknownNode(node: string): boolean {
    const connected = this.opts.nodeConnected;
    return this.node === HOST_NODE && connected !== undefined && !this.nodesSeen.has(node) && !connected(node);
  }
}

/** The node a supervisor request names, read before validation (an invalid request still goes to one supervisor). */
function requestNode(payload: Buffer): string | undefined {
  try {
    const raw = JSON.parse(payload.toString('utf8')) as Record<string, unknown> | null;
    return typeof raw?.node === 'string' ? raw.node : undefined;
  } catch {
    return undefined;
  }
}
