import { join, resolve } from 'node:path';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { HA_DISCOVERY_FILTER, HA_DISCOVERY_FILTER_NODE, topicFor } from '../lib/protocol/topics.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { ErrorInfo } from '../lib/protocol/errors.js';
import { BusService } from '../lib/runtime/busService.js';
import { serviceConfigFromEnv } from '../lib/runtime/serviceProcess.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import { actionsOf, applyAction, defaultState, defaultTraits, sameState, simulateTick, thermostatLimits } from './deviceModels.js';
import type { ModelDevice, ModelLimits } from './deviceModels.js';
import { parseDeviceManagerConfig } from './deviceManagerConfig.js';
import type { DeviceManagerConfig } from './deviceManagerConfig.js';
import type { DeviceRecord, DeviceState } from './deviceTypes.js';
import { HaAdoption, entityOf } from './haAdoption.js';
import { modelOf } from './haBridge.js';
import { findDefaultHomeFile, loadHomeFile } from './homeFile.js';
import { checkNaming } from './namingCheck.js';
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
  private readonly adoption: HaAdoption;
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
    this.adoption = new HaAdoption(this, {
      devices: this.devices,
      log: this.log,
      confirmTimeoutMs: this.cfg.confirm_timeout_ms,
      store: () => this.store,
      setState: (d, state) => this.setState(d, state),
      publishStatus: (d) => this.publishStatus(d),
      removeDevice: (d) => this.removeDevice(d),
    });
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

    for (const d of this.devices.values()) if (d.origin === 'homeassistant') await this.adoption.index(d);
    if (this.cfg.ha_discovery) {
      const onConfig = (topic: string, payload: Buffer) => this.adoption.onDiscoveryConfig(topic, payload);
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

  protected override onStop(): void {
    if (this.simTimer) clearInterval(this.simTimer);
    this.simTimer = null;
    this.adoption.stop();
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
    if (d.origin === 'homeassistant') return this.adoption.command(d, action, params);
    // checked against the action union with the device's own limits (deviceModels.actionFor), then applied
    const next = applyAction(this.modelFor(d), action, params, d.state);
    if (!sameState(next, d.state)) await this.setState(d, next);
    return { ok: true, device_id: d.id, action, state: d.state };
  }

  private modelFor(d: DeviceRecord): ModelDevice {
    if (d.origin === 'homeassistant') return modelOf(entityOf(d));
    const c = d.config;
    const limits: ModelLimits = {};
    if (typeof c.min_temp === 'number') limits.min_temp = c.min_temp;
    if (typeof c.max_temp === 'number') limits.max_temp = c.max_temp;
    if (typeof c.temp_step === 'number') limits.temp_step = c.temp_step;
    if (Array.isArray(c.modes) && c.modes.every((m) => typeof m === 'string')) limits.modes = c.modes;
    return { kind: d.kind, traits: d.traits, limits };
  }

  private async setState(d: DeviceRecord, state: DeviceState): Promise<void> {
    d.state = state;
    d.updated_at = Date.now();
    this.store?.saveState(d.id, state, d.updated_at);
    await this.publishStatus(d);
  }

  private isOnline(d: DeviceRecord): boolean {
    return d.origin !== 'homeassistant' || this.adoption.isOnline(d);
  }

  private statusOf(d: DeviceRecord): StatusBody {
    const model = this.modelFor(d);
    const ha = d.origin === 'homeassistant' ? entityOf(d) : undefined;
    const limits = d.kind === 'thermostat' || d.kind === 'climate' ? thermostatLimits(model) : undefined;
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
      ...(ha ? { announced: { name: ha.name, room: ha.room } } : {}),
      ...(limits ? { limits: { ...limits, modes: [...limits.modes] } } : {}),
      updated_at: d.updated_at,
      actions: actionsOf(model),
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
        const naming = checkNaming(undefined, { id: spec.device_id, ...spec }, this.devices.values());
        const traits = spec.traits ?? defaultTraits(spec.kind);
        const d: DeviceRecord = {
          id: spec.device_id,
          ...naming,
          kind: spec.kind,
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
        // Checked whole before anything changes: a refused edit leaves the device as it was.
        const edit = { id: d.id, kind: d.kind, name: msg.name, room: msg.room, aliases: msg.aliases };
        Object.assign(d, checkNaming(d, edit, this.devices.values()));
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
    if (d.origin === 'homeassistant') await this.adoption.unindex(d);
    await this.clearStatus(d.id);
    this.log.info('device removed', { device_id: d.id });
  }

  private requireStore(): RegistryStore {
    if (!this.store) throw new AliciaError('NOT_CONNECTED', 'the device registry is closed');
    return this.store;
  }
}
