import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeviceRegistry } from '../deviceRegistry.js';
import type { DeviceInfo } from '../deviceRegistry.js';

interface HomeFileDevice {
  id: string;
  name: string;
  kind: string;
  room: string;
  aliases?: string[];
  traits?: string[];
  state?: Record<string, unknown>;
}

/** The default home of resources/home.json as the registry sees it (tests only). */
export function defaultHomeDevices(): DeviceInfo[] {
  const path = fileURLToPath(new URL('../../../../resources/home.json', import.meta.url));
  const home = JSON.parse(readFileSync(path, 'utf8')) as { devices: HomeFileDevice[] };
  return home.devices.map((d) => ({
    device_id: d.id,
    name: d.name,
    kind: d.kind,
    room: d.room,
    aliases: d.aliases ?? [],
    traits: d.traits ?? [],
    state: d.state ?? {},
    online: true,
  }));
}

export function defaultHomeRegistry(): DeviceRegistry {
  const r = new DeviceRegistry();
  for (const d of defaultHomeDevices()) r.upsert(d);
  return r;
}
