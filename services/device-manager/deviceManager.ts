import { join, resolve } from 'node:path';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { HA_DISCOVERY_FILTER, HA_DISCOVERY_FILTER_NODE, HA_DISCOVERY_PREFIX, topicFor } from '../lib/protocol/topics.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { ErrorInfo } from '../lib/protocol/errors.js';
import { BusService, serviceConfigFromEnv } from '../lib/runtime/busService.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { actionsOf, applyAction, defaultState, defaultTraits, simulateTick } from './deviceModels.js';
import type { ModelDevice, ModelLimits } from './deviceModels.js';
import { parseDeviceManagerConfig } from './deviceManagerConfig.js';
import type { DeviceManagerConfig } from './deviceManagerConfig.js';
import type { DeviceRecord, DeviceState } from './deviceTypes.js';
import { availabilityOf, modelOf, onlineOf, planCommand, reflectState } from './haBridge.js';
import { entityDeviceId, entityStateTopics, parseHaConfig } from './haConfig.js';
import type { HaEntity } from './haConfig.js';
import { findDefaultHomeFile, loadHomeFile } from './homeFile.js';
import { RegistryStore } from './registryStore.js';

export interface DeviceManagerOptions {
  /** defaults to the ALICIA_MQTT_* environment */
  connection?: ConnectionOptions;
  /** defaults to ALICIA_DATA_DIR, else ./.alicia/data */
  dataDir?: string;
  /** the service config section; defaults to ALICIA_SERVICE_CONFIG */
  config?: Record<string, unknown>;
  /** randomness of the simulated sensors (tests inject a fixed sequence) */
  random?: () => number;
  heartbeatMs?: number;
  metricsMs?: number;
  clientId?: string;
}

interface HaRuntime {
  seen: Map<string, boolean>;
  latest: boolean | undefined;
}

interface Waiter {
  topics: readonly string[];
  resolve: () => void;
}

type StatusBody = BodyOf<'alicia/device/status/+'>;
type RegistryReply = BodyOf<'alicia/device/registry/response'>;

/**
 * The device manager: the registry of devices (SQLite), their models, the default home's simulated
 * devices, and adoption of real devices announced with Home Assistant MQTT discovery. Every device's
 * current state is retained on alicia/device/status/<id>; commands arrive on alicia/device/command.
 */
export class DeviceManager extends BusService {
  private readonly cfg: DeviceManagerConfig;
  private readonly dataDir: string;
  private readonly random: () => number;
  private store: RegistryStore | null = null;
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly ha = new Map<string, HaRuntime>();
  /** HA state/availability topic -> ids of the adopted devices listening on it */
  private readonly topicIndex = new Map<string, Set<string>>();
  /** HA discovery config topic -> device id */
  private readonly discoveryIndex = new Map<string, string>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private simTimer: NodeJS.Timeout | null = null;

  constructor(opts: DeviceManagerOptions = {}) {
    super({
      name: 'device-manager',
      version: '1.0.0',
      capabilities: ['device.registry', 'device.simulated', 'device.homeassistant_discovery'],
      ...(opts.connection ? { connection: opts.connection } : {}),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.metricsMs ? { metricsMs: opts.metricsMs } : {}),
      ...(opts.clientId ? { clientId: opts.clientId } : {}),
    });
    this.cfg = parseDeviceManagerConfig(opts.config ?? serviceConfigFromEnv());
    this.dataDir = opts.dataDir ?? process.env.ALICIA_DATA_DIR ?? resolve('.alicia', 'data');
    this.random = opts.random ?? Math.random;
  }

  /** A copy of the registry (for tests and diagnostics). */
  list(): DeviceRecord[] {
    return [...this.devices.values()].map((d) => structuredClone(d));
  }

  protected override async onStart(): Promise<void> {
    const store = RegistryStore.open(join(this.dataDir, 'devices.db'));
    this.store = store;
    try {
      this.seedDefaultHome(store);
    } catch (e) {
      store.close();
      this.store = null;
      throw e;
    }
    for (const d of store.list()) this.devices.set(d.id, d);

    await this.handle('alicia/device/command', (msg) => this.command(msg.device_id, msg.action, msg.params), {
      errorBody: (_err: ErrorInfo, raw) => ({
        device_id: typeof raw?.device_id === 'string' ? raw.device_id : '',
        ...(typeof raw?.action === 'string' ? { action: raw.action } : {}),
      }),
    });
    await this.handle('alicia/device/registry/request', (msg) => this.registry(msg));

    for (const d of this.devices.values()) if (d.origin === 'homeassistant') await this.indexAdopted(d);
    if (this.cfg.ha_discovery) {
      const onConfig = (topic: string, payload: Buffer) => this.onDiscoveryConfig(topic, payload);
      await this.subscribeRaw(HA_DISCOVERY_FILTER, onConfig);
      await this.subscribeRaw(HA_DISCOVERY_FILTER_NODE, onConfig);
    }
    for (const d of this.devices.values()) await this.publishStatus(d);

    if (this.cfg.simulate) {
      this.simTimer = setInterval(() => this.simulate(), this.cfg.sensor_interval_ms);
      this.simTimer.unref();
    }
    this.log.info('registry loaded', { devices: this.devices.size, data_dir: this.dataDir });
  }

  protected override async onStop(): Promise<void> {
    if (this.simTimer) clearInterval(this.simTimer);
    this.simTimer = null;
    for (const set of this.waiters.values()) for (const w of set) w.resolve();
    this.waiters.clear();
    this.store?.close();
    this.store = null;
  }

  private seedDefaultHome(store: RegistryStore): void {
    const path = this.cfg.home_file ?? findDefaultHomeFile();
    if (!path) {
      this.log.warn('no default home file found (resources/home.json); starting with an empty registry');
      return;
    }
    // Parse before asking the store: a bad file fails the start with a clear error, every time.
    const home = loadHomeFile(path);
    if (store.seedOnce(home)) this.log.info('default home loaded', { file: path, devices: home.length });
  }

  // ------------------------------------------------------------------ commands

  private async command(deviceId: string, action: string, params: Record<string, unknown>): Promise<BodyOf<'alicia/device/response'>> {
    const d = this.devices.get(deviceId);
    if (!d) throw new AliciaError('DEVICE_UNKNOWN', `no device with id ${deviceId}`);
    if (d.origin === 'homeassistant') return this.commandAdopted(d, action, params);
    const next = applyAction(this.modelFor(d), action, params, d.state);
    if (!sameState(next, d.state)) await this.setState(d, next);
    return { ok: true, device_id: d.id, action, state: d.state };
  }

  private async commandAdopted(
    d: DeviceRecord,
    action: string,
    params: Record<string, unknown>,
  ): Promise<BodyOf<'alicia/device/response'>> {
    const e = entityOf(d);
    if (!this.isOnline(d)) throw new AliciaError('DEVICE_OFFLINE', `${d.name} is unavailable`);
    const plan = planCommand(e, action, params, d.state);
    if (plan.messages.length === 0) return { ok: true, device_id: d.id, action, state: d.state };
    // Wait for the device's own report when it has a state topic (HA is not optimistic then either);
    // the waiter is registered before publishing so a fast answer cannot be missed.
    const confirmed = plan.confirmTopics.length > 0 ? this.waitForState(d.id, plan.confirmTopics, this.cfg.confirm_timeout_ms) : null;
    try {
      for (const m of plan.messages) await this.publishRaw(m.topic, m.payload, { qos: m.qos, retain: m.retain });
    } catch (err) {
      confirmed?.cancel();
      throw err;
    }
    if (!confirmed) {
      await this.setState(d, plan.predicted);
      return { ok: true, device_id: d.id, action, state: d.state, confirmed: false };
    }
    if (!(await confirmed.promise)) {
      throw new AliciaError('DEVICE_TIMEOUT', `${d.name} did not report its state within ${this.cfg.confirm_timeout_ms} ms`, {
        command_topic: plan.messages[0]?.topic,
      });
    }
    const now = this.devices.get(d.id);
    if (!now) throw new AliciaError('DEVICE_UNKNOWN', `${d.name} was removed`);
    return { ok: true, device_id: d.id, action, state: now.state, confirmed: true };
  }

  private waitForState(id: string, topics: readonly string[], timeoutMs: number): { promise: Promise<boolean>; cancel: () => void } {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    const waiters = set;
    let w!: Waiter;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<boolean>((res) => {
      w = {
        topics,
        resolve: () => {
          clearTimeout(timer);
          waiters.delete(w);
          res(true);
        },
      };
      timer = setTimeout(() => {
        waiters.delete(w);
        res(false);
      }, timeoutMs);
      waiters.add(w);
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        waiters.delete(w);
      },
    };
  }

  private modelFor(d: DeviceRecord): ModelDevice {
    if (d.origin === 'homeassistant') return modelOf(entityOf(d));
    const c = d.config;
    const limits: ModelLimits = {};
    if (typeof c.min_temp === 'number') limits.min_temp = c.min_temp;
    if (typeof c.max_temp === 'number') limits.max_temp = c.max_temp;
    if (typeof c.temp_step === 'number') limits.temp_step = c.temp_step;
    if (Array.isArray(c.modes) && c.modes.every((m) => typeof m === 'string')) limits.modes = c.modes as string[];
    return { kind: d.kind, traits: d.traits, limits };
  }

  private async setState(d: DeviceRecord, state: DeviceState): Promise<void> {
    d.state = state;
    d.updated_at = Date.now();
    this.store?.saveState(d.id, state, d.updated_at);
    await this.publishStatus(d);
  }

  private isOnline(d: DeviceRecord): boolean {
    if (d.origin !== 'homeassistant') return true;
    const rt = this.ha.get(d.id);
    return onlineOf(entityOf(d), rt?.seen ?? new Map(), rt?.latest);
  }

  private statusOf(d: DeviceRecord): StatusBody {
    return {
      device_id: d.id,
      name: d.name,
      kind: d.kind,
      room: d.room,
      aliases: d.aliases,
      state: d.state,
      traits: d.traits,
      online: this.isOnline(d),
      origin: d.origin,
      updated_at: d.updated_at,
      actions: actionsOf(this.modelFor(d)),
    };
  }

  private async publishStatus(d: DeviceRecord): Promise<void> {
    await this.publish('alicia/device/status/+', this.statusOf(d), { params: [d.id], retain: true, qos: 1 });
  }

  /** An empty retained payload clears the retained status (MQTT 3.1.1 section 3.3.1.3): the device is gone. */
  private async clearStatus(id: string): Promise<void> {
    await this.publishRaw(topicFor('alicia/device/status/+', id), '', { qos: 1, retain: true });
  }

  private simulate(): void {
    for (const d of this.devices.values()) {
      if (d.origin !== 'simulated' || (d.kind !== 'sensor' && d.kind !== 'thermostat')) continue;
      const next = simulateTick(this.modelFor(d), d.state, this.random);
      // Sensors publish every interval (a reading is news even when equal); thermostats on change.
      if (d.kind === 'sensor' || next !== d.state) {
        this.setState(d, next).catch((e: unknown) =>
          this.log.warn('simulated reading not published', { device_id: d.id, ...toErrorInfo(e) }),
        );
      }
    }
  }

  // ------------------------------------------------------------------ registry requests

  private async registry(msg: MessageOf<'alicia/device/registry/request'>): Promise<RegistryReply> {
    const store = this.requireStore();
    switch (msg.action) {
      case 'list':
        return { ok: true, devices: [...this.devices.values()].map((d) => this.statusOf(d)) };
      case 'add': {
        const spec = msg.device;
        if (this.devices.has(spec.device_id)) throw new AliciaError('DEVICE_EXISTS', `a device with id ${spec.device_id} already exists`);
        const traits = spec.traits ?? defaultTraits(spec.kind);
        const d: DeviceRecord = {
          id: spec.device_id,
          name: spec.name,
          kind: spec.kind,
          room: spec.room ?? '',
          aliases: spec.aliases ?? [],
          traits,
          origin: 'simulated',
          config: {},
          state: defaultState({ kind: spec.kind, traits }),
          updated_at: Date.now(),
        };
        store.insert(d);
        this.devices.set(d.id, d);
        await this.publishStatus(d);
        this.log.info('device added', { device_id: d.id });
        return { ok: true, devices: [this.statusOf(d)] };
      }
      case 'rename': {
        const d = this.devices.get(msg.device_id);
        if (!d) throw new AliciaError('DEVICE_UNKNOWN', `no device with id ${msg.device_id}`);
        if (msg.name !== undefined) d.name = msg.name;
        if (msg.room !== undefined) d.room = msg.room;
        if (msg.aliases !== undefined) d.aliases = msg.aliases;
        d.updated_at = Date.now();
        store.update(d);
        await this.publishStatus(d);
        return { ok: true, devices: [this.statusOf(d)] };
      }
      case 'remove': {
        const d = this.devices.get(msg.device_id);
        if (!d) throw new AliciaError('DEVICE_UNKNOWN', `no device with id ${msg.device_id}`);
        // An adopted device's retained discovery config would re-adopt it on the next start: remember the removal.
        if (d.origin === 'homeassistant') store.ignore(entityOf(d).discovery_topic, d.id);
        await this.removeDevice(d);
        return { ok: true, devices: [{ device_id: d.id, name: d.name, kind: d.kind, room: d.room }] };
      }
    }
  }

  private async removeDevice(d: DeviceRecord): Promise<void> {
    this.requireStore().remove(d.id);
    this.devices.delete(d.id);
    if (d.origin === 'homeassistant') await this.unindexAdopted(d);
    await this.clearStatus(d.id);
    this.log.info('device removed', { device_id: d.id });
  }

  private requireStore(): RegistryStore {
    if (!this.store) throw new AliciaError('NOT_CONNECTED', 'the device registry is closed');
    return this.store;
  }

  // ------------------------------------------------------------------ Home Assistant discovery

  private async onDiscoveryConfig(topic: string, payload: Buffer): Promise<void> {
    const store = this.store;
    if (!store) return;
    if (payload.length === 0) {
      // HA discovery: an empty config removes the entity.
      store.unignore(topic);
      const id = this.discoveryIndex.get(topic);
      const d = id ? this.devices.get(id) : undefined;
      if (d) await this.removeDevice(d);
      return;
    }
    if (store.isIgnored(topic)) return;
    let obj: unknown;
    try {
      obj = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn('ignored Home Assistant discovery config: not JSON', { topic });
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      this.log.warn('ignored Home Assistant discovery config: not an object', { topic });
      return;
    }
    const r = parseHaConfig(topic, obj as Record<string, unknown>, HA_DISCOVERY_PREFIX);
    if (!r.ok) {
      this.log.warn('ignored Home Assistant discovery config', { topic, reason: r.reason });
      return;
    }
    await this.adopt(r.entity);
  }

  private async adopt(e: HaEntity): Promise<void> {
    const store = this.requireStore();
    if (e.unsupported_templates.length > 0) {
      this.log.warn('Home Assistant templates not supported; that part of the state is not reflected', {
        topic: e.discovery_topic,
        templates: e.unsupported_templates,
      });
    }
    const existingId = this.discoveryIndex.get(e.discovery_topic);
    const existing = existingId ? this.devices.get(existingId) : undefined;
    if (existing) {
      const old = entityOf(existing);
      if (JSON.stringify(old) === JSON.stringify(e)) return; // the same retained config again (reconnect)
      await this.unindexAdopted(existing);
      // User edits (name, room, aliases) win over the re-announced config; the rest follows the device.
      if (existing.kind !== e.kind) existing.state = initialAdoptedState(e);
      existing.kind = e.kind;
      existing.traits = e.traits;
      existing.config = { ha: e };
      existing.updated_at = Date.now();
      store.update(existing);
      await this.indexAdopted(existing);
      await this.publishStatus(existing);
      this.log.info('adopted device updated', { device_id: existing.id, topic: e.discovery_topic });
      return;
    }
    const id = this.freeId(entityDeviceId(e));
    const d: DeviceRecord = {
      id,
      name: e.name,
      kind: e.kind,
      room: e.room,
      aliases: [],
      traits: e.traits,
      origin: 'homeassistant',
      config: { ha: e },
      state: initialAdoptedState(e),
      updated_at: Date.now(),
    };
    store.insert(d);
    this.devices.set(id, d);
    await this.indexAdopted(d);
    await this.publishStatus(d);
    this.log.info('adopted Home Assistant device', { device_id: id, component: e.component, topic: e.discovery_topic });
  }

  /** An id not taken by another device (a simulated kitchen_light keeps its id; the adopted one gets ha_kitchen_light). */
  private freeId(wanted: string): string {
    if (!this.devices.has(wanted)) return wanted;
    const base = `ha_${wanted}`.slice(0, 60);
    if (!this.devices.has(base)) return base;
    for (let i = 2; ; i++) if (!this.devices.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  private async indexAdopted(d: DeviceRecord): Promise<void> {
    const e = entityOf(d);
    this.discoveryIndex.set(e.discovery_topic, d.id);
    this.ha.set(d.id, { seen: new Map(), latest: undefined });
    for (const topic of entityStateTopics(e)) {
      const ids = this.topicIndex.get(topic);
      if (ids) {
        ids.add(d.id);
        continue;
      }
      // Index first: the broker sends the retained state/availability right after the SUBACK,
      // possibly before subscribeRaw() resolves.
      this.topicIndex.set(topic, new Set([d.id]));
      try {
        await this.subscribeRaw(topic, (t, p) => this.onEntityMessage(t, p));
      } catch (err) {
        this.log.warn('could not subscribe a device topic', { device_id: d.id, topic, ...toErrorInfo(err) });
      }
    }
  }

  private async unindexAdopted(d: DeviceRecord): Promise<void> {
    const e = entityOf(d);
    if (this.discoveryIndex.get(e.discovery_topic) === d.id) this.discoveryIndex.delete(e.discovery_topic);
    this.ha.delete(d.id);
    for (const topic of entityStateTopics(e)) {
      const ids = this.topicIndex.get(topic);
      ids?.delete(d.id);
      if (ids && ids.size === 0) {
        this.topicIndex.delete(topic);
        await this.unsubscribeRaw(topic);
      }
    }
    for (const w of this.waiters.get(d.id) ?? []) w.resolve();
    this.waiters.delete(d.id);
  }

  private async onEntityMessage(topic: string, payload: Buffer): Promise<void> {
    const text = payload.toString('utf8');
    for (const id of this.topicIndex.get(topic) ?? []) {
      const d = this.devices.get(id);
      const rt = this.ha.get(id);
      if (!d || !rt) continue;
      const e = entityOf(d);
      const wasOnline = this.isOnline(d);
      const avail = availabilityOf(e, topic, text);
      if (avail !== undefined) {
        rt.seen.set(topic, avail);
        rt.latest = avail;
      }
      const next = reflectState(e, topic, text, d.state);
      if (next && !sameState(next, d.state)) await this.setState(d, next);
      else if (this.isOnline(d) !== wasOnline) await this.publishStatus(d);
      if (next) for (const w of [...(this.waiters.get(id) ?? [])]) if (w.topics.includes(topic)) w.resolve();
    }
  }
}

function entityOf(d: DeviceRecord): HaEntity {
  return d.config.ha as HaEntity;
}

function initialAdoptedState(e: HaEntity): DeviceState {
  if (e.kind === 'sensor') return { [e.state_key ?? 'value']: null };
  return defaultState(modelOf(e));
}

function sameState(a: DeviceState, b: DeviceState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
