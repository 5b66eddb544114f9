import { namingProblem, spokenKey, tidyText } from '../../../services/lib/protocol/deviceNaming.js';
import type { NamingField } from '../../../services/lib/protocol/deviceNaming.js';
import type { BodyOf } from '../../../services/lib/protocol/topics.js';
import { parseAliases, phraseClash } from './deviceForm.js';
import type { KnownDevice } from './deviceForm.js';

/**
 * The "Edit" form of a device card: the name, room and aliases a person calls the device by
 * (an adopted Home Assistant device arrives with no room). Pure, tested in deviceEdit.test.ts. The
 * same rules as the device manager's (services/lib/protocol/deviceNaming.ts), so most refusals are
 * said before anything is sent; the device manager's own refusal is shown on the field it names.
 */

export type RenameRequest = Extract<BodyOf<'alicia/device/registry/request'>, { action: 'rename' }>;

export interface EditValues {
  name: string;
  room: string;
  /** comma-separated */
  aliases: string;
}

export type EditErrors = Partial<Record<NamingField, string>>;

/** What the form starts from: the device as its status has it. */
export interface EditedDevice {
  device_id: string;
  name: string;
  room: string;
  aliases?: readonly string[];
}

export function editValuesOf(d: EditedDevice): EditValues {
  return { name: d.name, room: d.room, aliases: (d.aliases ?? []).join(', ') };
}

export type EditResult = { ok: true; request: RenameRequest | null } | { ok: false; errors: EditErrors };

/**
 * Check the form and build the rename request with only what changed (null: nothing did), so an
 * edit of the room never re-sends a name the device announced with characters the rules refuse.
 */
export function validateEdit(v: EditValues, d: EditedDevice, others: readonly KnownDevice[]): EditResult {
  const name = tidyText(v.name);
  const room = tidyText(v.room);
  const aliases = parseAliases(v.aliases);
  const edit: { name?: string; room?: string; aliases?: string[] } = {};
  if (name !== d.name) edit.name = name;
  if (room !== d.room) edit.room = room;
  if (aliases.join('\n') !== (d.aliases ?? []).join('\n')) edit.aliases = aliases;

  const errors: EditErrors = {};
  // one problem per field: check each changed field on its own
  for (const field of ['name', 'room', 'aliases'] as const) {
    if (edit[field] === undefined) continue;
    const p = namingProblem({ [field]: edit[field] }, name);
    if (p) errors[p.field] = p.message;
  }
  if (!errors.name && !errors.aliases && !errors.room && Object.keys(edit).length > 0) {
    const others_ = others.filter((o) => o.device_id !== d.device_id);
    const clash = phraseClash(name, aliases, room, others_);
    if (clash) errors[clash.field] = clash.message;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (Object.keys(edit).length === 0) return { ok: true, request: null };
  return { ok: true, request: { action: 'rename', device_id: d.device_id, ...edit } };
}

/** The field a refusal from the device manager concerns (its details.field), if it names one. */
export function fieldOfNamingError(details: unknown): NamingField | undefined {
  const f = (details as { field?: unknown } | null | undefined)?.field;
  return f === 'name' || f === 'room' || f === 'aliases' ? f : undefined;
}

/** Rooms the home already has, as written, one per spoken room ("Study" and "the study" are one), sorted. */
export function knownRooms(devices: readonly { room: string }[]): string[] {
  const byKey = new Map<string, string>();
  for (const d of devices) {
    const k = spokenKey(d.room);
    if (k !== '' && !byKey.has(k)) byKey.set(k, d.room);
  }
  return [...byKey.values()].sort((a, b) => a.localeCompare(b));
}
