/**
 * The registry of running services, from discovery registrations and heartbeats. Pure (injected
 * clock): the discovery service feeds it and publishes each event it returns.
 *
 * register     a service announced itself (or came back after expiring, or heartbeats while unknown)
 * expire       no heartbeat for `expiry_intervals` of its heartbeat interval: kept, marked alive=false
 * unregister   it said goodbye (offline heartbeat = graceful stop or last will): removed
 */
export type DiscoveredService = {
  service: string;
  version: string;
  capabilities: string[];
  registered_at: number;
  last_seen: number;
  alive: boolean;
  heartbeat_ms: number;
  pid: number | null;
  handles: string[];
  emits: string[];
};

export type RegistryEvent = { event: 'register' | 'expire' | 'unregister'; service: string };

export interface RegistryOptions {
  expiry_intervals: number;
  default_heartbeat_ms: number;
}

export class ServiceRegistry {
  private readonly services = new Map<string, DiscoveredService>();

  constructor(
    private readonly opts: RegistryOptions,
    private readonly now: () => number = Date.now,
  ) {}

  register(r: {
    service: string;
    version: string;
    capabilities: string[];
    heartbeat_ms: number;
    pid: number;
    handles?: string[];
    emits?: string[];
  }): RegistryEvent {
    const t = this.now();
    const old = this.services.get(r.service);
    this.services.set(r.service, {
      service: r.service,
      version: r.version,
      capabilities: [...r.capabilities],
      // a re-registration of the same process keeps its first registration time
      registered_at: old && old.pid === r.pid && old.alive ? old.registered_at : t,
      last_seen: t,
      alive: true,
      heartbeat_ms: r.heartbeat_ms,
      pid: r.pid,
      handles: [...(r.handles ?? [])],
      emits: [...(r.emits ?? [])],
    });
    return { event: 'register', service: r.service };
  }

  /**
   * A heartbeat (discovery heartbeat, or a health heartbeat with its interval). Returns a register
   * event when it brings a service (back) into the registry, else null.
   */
  heartbeat(service: string, intervalMs?: number): RegistryEvent | null {
    const t = this.now();
    const s = this.services.get(service);
    if (!s) {
      // Heard before its registration (e.g. discovery restarted): known by name until it registers.
      this.services.set(service, {
        service,
        version: 'unknown',
        capabilities: [],
        registered_at: t,
        last_seen: t,
        alive: true,
        heartbeat_ms: intervalMs ?? this.opts.default_heartbeat_ms,
        pid: null,
        handles: [],
        emits: [],
      });
      return { event: 'register', service };
    }
    s.last_seen = t;
    if (intervalMs !== undefined) s.heartbeat_ms = intervalMs;
    if (!s.alive) {
      s.alive = true;
      return { event: 'register', service };
    }
    return null;
  }

  /** Whether the service is in the registry (alive or expired). */
  knows(service: string): boolean {
    return this.services.has(service);
  }

  unregister(service: string): RegistryEvent | null {
    return this.services.delete(service) ? { event: 'unregister', service } : null;
  }

  /** Services silent for expiry_intervals x their heartbeat interval, newly expired since the last call. */
  expire(): RegistryEvent[] {
    const t = this.now();
    const out: RegistryEvent[] = [];
    for (const s of this.services.values()) {
      if (s.alive && t - s.last_seen > s.heartbeat_ms * this.opts.expiry_intervals) {
        s.alive = false;
        out.push({ event: 'expire', service: s.service });
      }
    }
    return out;
  }

  snapshot(): DiscoveredService[] {
    return [...this.services.values()]
      .sort((a, b) => a.service.localeCompare(b.service))
      .map((s) => ({ ...s, capabilities: [...s.capabilities], handles: [...s.handles], emits: [...s.emits] }));
  }
}
