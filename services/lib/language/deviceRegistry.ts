import { phraseTokens } from './normalize.js';

/**
 * What the language layer knows about the home: names, rooms, aliases, traits and the last state
 * of every device, fed from the retained alicia/device/status/<id> messages (see
 * services/lib/protocol/device.ts). Both ai (to resolve "the kitchen light") and stt (to put the names
 * into the grammar) keep one.
 */
export interface DeviceInfo {
  device_id: string;
  name: string;
  kind: string;
  room: string;
  aliases: string[];
  traits: string[];
  state: Record<string, unknown>;
  online: boolean;
}

export interface DevicePhrase {
  tokens: string[];
  device_id: string;
}

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceInfo>();
  private phrasesCache: DevicePhrase[] | undefined;
  private roomsCache: string[][] | undefined;

  /** Add or update a device; returns true when its vocabulary (name, room, aliases, kind) changed. */
  upsert(d: DeviceInfo): boolean {
    const old = this.devices.get(d.device_id);
    this.devices.set(d.device_id, { ...d, aliases: [...d.aliases], traits: [...d.traits] });
    const changed = !old || vocabularyKey(old) !== vocabularyKey(d);
    if (changed) this.invalidate();
    return changed;
  }

  /** Remove a device (empty retained payload); returns true if it was known. */
  remove(deviceId: string): boolean {
    const had = this.devices.delete(deviceId);
    if (had) this.invalidate();
    return had;
  }

  get(deviceId: string): DeviceInfo | undefined {
    return this.devices.get(deviceId);
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()];
  }

  get size(): number {
    return this.devices.size;
  }

  /** Identity of the vocabulary: changes exactly when the grammar must be regenerated. */
  vocabularySignature(): string {
    return this.list().map(vocabularyKey).sort().join('\n');
  }

  /** Every way a device can be named (name, aliases, "<room> <name>"), longest first. */
  phrases(): DevicePhrase[] {
    if (!this.phrasesCache) {
      const seen = new Set<string>();
      const out: DevicePhrase[] = [];
      for (const d of this.devices.values()) {
        const room = phraseTokens(d.room);
        const names = [d.name, ...d.aliases].map(phraseTokens).filter((t) => t.length > 0);
        // "the kitchen light" may also be said as "the light in the kitchen"; the home file lists such
        // aliases explicitly, so only "<room> <name>" is added here (when the name lacks the room).
        const withRoom = room.length > 0 ? names.filter((n) => !n.join(' ').includes(room.join(' '))).map((n) => [...room, ...n]) : [];
        for (const tokens of [...names, ...withRoom]) {
          const key = `${tokens.join(' ')}\u0000${d.device_id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ tokens, device_id: d.device_id });
        }
      }
      this.phrasesCache = out.sort((a, b) => b.tokens.length - a.tokens.length);
    }
    return this.phrasesCache;
  }

  /** Distinct room names as tokens, longest first. */
  rooms(): string[][] {
    if (!this.roomsCache) {
      const set = new Map<string, string[]>();
      for (const d of this.devices.values()) {
        const t = phraseTokens(d.room);
        if (t.length > 0) set.set(t.join(' '), t);
      }
      this.roomsCache = [...set.values()].sort((a, b) => b.length - a.length);
    }
    return this.roomsCache;
  }

  private invalidate(): void {
    this.phrasesCache = undefined;
    this.roomsCache = undefined;
  }
}

function vocabularyKey(d: DeviceInfo): string {
  return JSON.stringify([d.device_id, d.name, d.kind, d.room, d.aliases, d.traits]);
}

/** The fields of a retained alicia/device/status/<id> message the language layer uses. */
export interface DeviceStatusLike {
  device_id: string;
  name: string;
  kind: string;
  room: string;
  aliases?: string[];
  traits?: string[];
  state: Record<string, unknown>;
  online: boolean;
}

export function deviceInfoFromStatus(s: DeviceStatusLike): DeviceInfo {
  return {
    device_id: s.device_id,
    name: s.name,
    kind: s.kind,
    room: s.room,
    aliases: s.aliases ?? [],
    traits: s.traits ?? [],
    state: s.state,
    online: s.online,
  };
}
