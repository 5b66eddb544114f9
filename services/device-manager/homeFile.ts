import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { deviceIdSchema } from '../lib/protocol/common.js';
import { deviceKindSchema } from '../lib/protocol/device.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { defaultState, defaultTraits } from './deviceModels.js';
import type { DeviceRecord } from './deviceTypes.js';

/**
 * The default home (resources/home.json): the simulated devices loaded into the registry on the
 * first start of the device manager. Validated strictly: a typo in the file is a clear error
 * naming the file and the key, not a half-loaded home.
 */
const homeDeviceSchema = z.strictObject({
  id: deviceIdSchema,
  name: z.string().min(1).max(80),
  kind: deviceKindSchema,
  room: z.string().max(80).default(''),
  aliases: z.array(z.string().min(1).max(80)).max(20).default([]),
  traits: z.array(z.string().min(1).max(40)).max(20).optional(),
  /** thermostat limits and modes, sensor intervals: kept in the device's config */
  config: z.record(z.string(), z.unknown()).default({}),
  state: z.record(z.string(), z.unknown()).optional(),
  description: z.string().max(400).optional(),
});

export const homeFileSchema = z.strictObject({
  $comment: z.string().optional(),
  version: z.literal(1),
  devices: z
    .array(homeDeviceSchema)
    .max(500)
    .refine((ds) => new Set(ds.map((d) => d.id)).size === ds.length, 'device ids must be unique'),
});

export type HomeFile = z.infer<typeof homeFileSchema>;

/** Parse home.json text into registry records. Throws AliciaError CONFIG_INVALID naming `path` and the key. */
export function parseHomeFile(text: string, path: string, now = Date.now()): DeviceRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AliciaError('CONFIG_INVALID', `${path}: not valid JSON: ${(e as Error).message}`);
  }
  const r = homeFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '';
    throw new AliciaError('CONFIG_INVALID', `${path}: ${key || '(root)'}: ${issue?.message ?? 'invalid'}`, {
      path,
      issues: r.error.issues.slice(0, 10).map((i) => ({ key: i.path.join('.'), message: i.message })),
    });
  }
  return r.data.devices.map((d) => {
    const traits = d.traits ?? defaultTraits(d.kind);
    const base = defaultState({ kind: d.kind, traits });
    return {
      id: d.id,
      name: d.name,
      kind: d.kind,
      room: d.room,
      aliases: d.aliases,
      traits,
      origin: 'simulated' as const,
      config: d.config,
      state: { ...base, ...(d.state ?? {}) },
      updated_at: now,
    };
  });
}

export function loadHomeFile(path: string, now = Date.now()): DeviceRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AliciaError('CONFIG_INVALID', `${path}: cannot read the home file: ${(e as Error).message}`, { path });
  }
  return parseHomeFile(text, path, now);
}

/**
 * Where resources/home.json is: from source (services/device-manager/) and from the build
 * (dist/services/device-manager/) it is two or three levels up; walk up rather than hard-code either.
 * The host may override it with the service config `home_file` (e.g. a packaged app's resources dir).
 */
export function findDefaultHomeFile(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = resolve(from);
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'home.json');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
