import { HA_DISCOVERY_PREFIX } from '../lib/protocol/topics.js';
import type { BodyOf } from '../lib/protocol/topics.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { Logger } from '../lib/runtime/logger.js';
import { defaultState, sameState } from './deviceModels.js';
import type { DeviceRecord, DeviceState } from './deviceTypes.js';
import { availabilityOf, modelOf, onlineOf, planCommand, reflectState } from './haBridge.js';
import { parseHaConfig } from './haConfig.js';
import { entityDeviceId, entityStateTopics } from './haEntity.js';
import type { HaEntity } from './haEntity.js';
import type { RegistryStore } from './registryStore.js';
import { StateWaiters } from './stateWaiters.js';

/** The raw MQTT side of the device manager's bus client (adopted devices speak their own topics). */
export interface RawBus {
  subscribeRaw(topic: string, handler: (topic: string, payload: Buffer) => void | Promise<void>): Promise<void>;
  unsubscribeRaw(topic: string): Promise<void>;
  publishRaw(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

/** What adoption needs from the device manager's registry. */
export interface AdoptionHost {
  readonly devices: Map<string, DeviceRecord>;
  readonly log: Logger;
  readonly confirmTimeoutMs: number;
  /** null once the registry is closed (stopping) */
  store(): RegistryStore | null;
  setState(d: DeviceRecord, state: DeviceState): Promise<void>;
  publishStatus(d: DeviceRecord): Promise<void>;
  removeDevice(d: DeviceRecord): Promise<void>;
}

interface Availability {
  seen: Map<string, boolean>;
  latest: boolean | undefined;
}

type DeviceResponse = BodyOf<'alicia/device/response'>;

export function entityOf(d: DeviceRecord): HaEntity {
  return d.config.ha as HaEntity;
}

function initialAdoptedState(e: HaEntity): DeviceState {
  if (e.kind === 'sensor') return { [e.state_key ?? 'value']: null };
  return defaultState(modelOf(e));
}

/**
 * Devices announced with Home Assistant MQTT discovery: adopting, updating and removing them as
 * their retained configs come and go, following their state and availability topics, and
 * commanding them through their command topics (waiting for their own state report when they have
 * one, as Home Assistant does when not optimistic).
 */
export class HaAdoption {
  private readonly availability = new Map<string, Availability>();
  /** HA state/availability topic -> ids of the adopted devices listening on it */
  private readonly topicIndex = new Map<string, Set<string>>();
  /** HA discovery config topic -> device id */
  private readonly discoveryIndex = new Map<string, string>();
  private readonly waiters = new StateWaiters();

  constructor(
    private readonly bus: RawBus,
    private readonly host: AdoptionHost,
  ) {}

  /** Release the commands still waiting for a state report (the device manager is stopping). */
  stop(): void {
    this.waiters.releaseAll();
  }

  isOnline(d: DeviceRecord): boolean {
    const rt = this.availability.get(d.id);
    return onlineOf(entityOf(d), rt?.seen ?? new Map(), rt?.latest);
  }

  async command(d: DeviceRecord, action: string, params: Record<string, unknown>): Promise<DeviceResponse> {
    const e = entityOf(d);
    if (!this.isOnline(d)) throw new AliciaError('DEVICE_OFFLINE', `${d.name} is unavailable`);
    const plan = planCommand(e, action, params, d.state);
    if (plan.messages.length === 0) return { ok: true, device_id: d.id, action, state: d.state };
    const timeoutMs = this.host.confirmTimeoutMs;
    // Wait for the device's own report when it has a state topic (HA is not optimistic then either);
    // the waiter is registered before publishing so a fast answer cannot be missed.
    const confirmed = plan.confirmTopics.length > 0 ? this.waiters.wait(d.id, plan.confirmTopics, timeoutMs) : null;
    try {
      for (const m of plan.messages) await this.bus.publishRaw(m.topic, m.payload, { qos: m.qos, retain: m.retain });
    } catch (err) {
      confirmed?.cancel();
      throw err;
    }
    if (!confirmed) {
      await this.host.setState(d, plan.predicted);
      return { ok: true, device_id: d.id, action, state: d.state, confirmed: false };
    }
    if (!(await confirmed.promise)) {
      throw new AliciaError('DEVICE_TIMEOUT', `${d.name} did not report its state within ${timeoutMs} ms`, {
        command_topic: plan.messages[0]?.topic,
      });
    }
    const now = this.host.devices.get(d.id);
    if (!now) throw new AliciaError('DEVICE_UNKNOWN', `${d.name} was removed`);
    return { ok: true, device_id: d.id, action, state: now.state, confirmed: true };
  }

  async onDiscoveryConfig(topic: string, payload: Buffer): Promise<void> {
    const store = this.host.store();
    if (!store) return;
    if (payload.length === 0) {
      // HA discovery: an empty config removes the entity.
      store.unignore(topic);
      const id = this.discoveryIndex.get(topic);
      const d = id ? this.host.devices.get(id) : undefined;
      if (d) await this.host.removeDevice(d);
      return;
    }
    if (store.isIgnored(topic)) return;
    let obj: unknown;
    try {
      obj = JSON.parse(payload.toString('utf8'));
    } catch {
      this.host.log.warn('ignored Home Assistant discovery config: not JSON', { topic });
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      this.host.log.warn('ignored Home Assistant discovery config: not an object', { topic });
      return;
    }
    const r = parseHaConfig(topic, obj as Record<string, unknown>, HA_DISCOVERY_PREFIX);
    if (!r.ok) {
      this.host.log.warn('ignored Home Assistant discovery config', { topic, reason: r.reason });
      return;
    }
    await this.adopt(store, r.entity);
  }

  private async adopt(store: RegistryStore, e: HaEntity): Promise<void> {
    const { devices, log } = this.host;
    if (e.unsupported_templates.length > 0) {
      log.warn('Home Assistant templates not supported; that part of the state is not reflected', {
        topic: e.discovery_topic,
        templates: e.unsupported_templates,
      });
    }
    const existingId = this.discoveryIndex.get(e.discovery_topic);
    const existing = existingId ? devices.get(existingId) : undefined;
    if (existing) {
      const old = entityOf(existing);
      if (JSON.stringify(old) === JSON.stringify(e)) return; // the same retained config again (reconnect)
      await this.unindex(existing);
      // What the user set wins over the re-announced config: a name or room that differs from what the
      // device announced before was the user's (aliases always are); one still equal to it follows the
      // device (a friendly name changed in Zigbee2MQTT). The rest follows the device.
      if (existing.name === old.name) existing.name = e.name;
      if (existing.room === old.room) existing.room = e.room;
      if (existing.kind !== e.kind) existing.state = initialAdoptedState(e);
      existing.kind = e.kind;
      existing.traits = e.traits;
      existing.config = { ...existing.config, ha: e };
      existing.updated_at = Date.now();
      store.update(existing);
      await this.index(existing);
      await this.host.publishStatus(existing);
      log.info('adopted device updated', { device_id: existing.id, topic: e.discovery_topic });
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
    devices.set(id, d);
    await this.index(d);
    await this.host.publishStatus(d);
    log.info('adopted Home Assistant device', { device_id: id, component: e.component, topic: e.discovery_topic });
  }

  /** An id not taken by another device (a simulated kitchen_light keeps its id; the adopted one gets ha_kitchen_light). */
  private freeId(wanted: string): string {
    const taken = (id: string) => this.host.devices.has(id);
    if (!taken(wanted)) return wanted;
    const base = `ha_${wanted}`.slice(0, 60);
    if (!taken(base)) return base;
    for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
  }

  /** Start following an adopted device's state and availability topics. */
  async index(d: DeviceRecord): Promise<void> {
    const e = entityOf(d);
    this.discoveryIndex.set(e.discovery_topic, d.id);
    this.availability.set(d.id, { seen: new Map(), latest: undefined });
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
        await this.bus.subscribeRaw(topic, (t, p) => this.onEntityMessage(t, p));
      } catch (err) {
        this.host.log.warn('could not subscribe a device topic', { device_id: d.id, topic, ...toErrorInfo(err) });
      }
    }
  }

  /** Stop following a device (removed, or re-announced with other topics). */
  async unindex(d: DeviceRecord): Promise<void> {
    const e = entityOf(d);
    if (this.discoveryIndex.get(e.discovery_topic) === d.id) this.discoveryIndex.delete(e.discovery_topic);
    this.availability.delete(d.id);
    for (const topic of entityStateTopics(e)) {
      const ids = this.topicIndex.get(topic);
      ids?.delete(d.id);
      if (ids && ids.size === 0) {
        this.topicIndex.delete(topic);
        await this.bus.unsubscribeRaw(topic);
      }
    }
    this.waiters.release(d.id);
  }

  private async onEntityMessage(topic: string, payload: Buffer): Promise<void> {
    const text = payload.toString('utf8');
    for (const id of this.topicIndex.get(topic) ?? []) {
      const d = this.host.devices.get(id);
      const rt = this.availability.get(id);
      if (!d || !rt) continue;
      const e = entityOf(d);
      const wasOnline = this.isOnline(d);
      const avail = availabilityOf(e, topic, text);
      if (avail !== undefined) {
        rt.seen.set(topic, avail);
        rt.latest = avail;
      }
      const next = reflectState(e, topic, text, d.state);
      if (next && !sameState(next, d.state)) await this.host.setState(d, next);
      else if (this.isOnline(d) !== wasOnline) await this.host.publishStatus(d);
      if (next) this.waiters.confirm(id, topic);
    }
  }
}
