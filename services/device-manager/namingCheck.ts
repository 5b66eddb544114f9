import { namingProblem, spokenKey, tidyText } from '../lib/protocol/deviceNaming.js';
import type { NamingField } from '../lib/protocol/deviceNaming.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { DeviceRegistry } from '../lib/language/deviceRegistry.js';
import { roomKey } from '../lib/language/normalize.js';
import type { DeviceRecord } from './deviceTypes.js';

/** A registry edit of what a device is called: undefined fields stay as they are. */
export interface NamingEdit {
  name?: string;
  room?: string;
  aliases?: readonly string[];
}

export interface Naming {
  name: string;
  room: string;
  aliases: string[];
}

/** The phrases voice answers to for one device, exactly as the language layer derives them, as "w1 w2" keys. */
function phraseKeys(d: Pick<DeviceRecord, 'id' | 'name' | 'room' | 'aliases' | 'kind'>): Set<string> {
  const r = new DeviceRegistry();
  r.upsert({ device_id: d.id, name: d.name, kind: d.kind, room: d.room, aliases: d.aliases, traits: [], state: {}, online: true });
  return new Set(r.phrases().map((p) => p.tokens.join(' ')));
}

/** Phrase key -> the id of the other device answering to it. */
function othersIndex(devices: Iterable<DeviceRecord>, selfId: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of devices) {
    if (o.id === selfId) continue;
    for (const k of phraseKeys(o)) if (!out.has(k)) out.set(k, o.id);
  }
  return out;
}

/**
 * The phrase as the user wrote it when voice hears it otherwise: the language layer drops courtesy
 * words and articles ("alicia lamp" is heard as "lamp"), which a person would not guess.
 */
function heard(key: string, n: Naming, self: Pick<DeviceRecord, 'id' | 'kind'>): string {
  const room = tidyText(n.room);
  for (const typed of [n.name, ...n.aliases]) {
    const keys = phraseKeys({ ...self, name: typed, room: n.room, aliases: [] });
    if (!keys.has(key)) continue;
    const said = phraseKeys({ ...self, name: typed, room: '', aliases: [] }).has(key) ? typed : `${room} ${typed}`;
    return spokenKey(said) === key ? `“${key}”` : `“${said}” is heard as “${key}”, which`;
  }
  return `“${key}”`;
}

/** "Study" where another device is already in "study": the room as it is already written, so it stays one room in the window. */
function sameRoomAs(room: string, devices: Iterable<DeviceRecord>, selfId: string): string {
  const key = roomKey(room);
  if (key === '') return room;
  for (const o of devices) if (o.id !== selfId && roomKey(o.room) === key) return o.room;
  return room;
}

/**
 * Check an edit of device `d` (or a new device, `d` undefined, `proposed` its whole naming) against
 * the naming rules and every other device, and return the tidied naming to store. Throws
 * DEVICE_NAME_INVALID / DEVICE_ROOM_INVALID / DEVICE_ALIAS_INVALID for what cannot be said, and
 * DEVICE_NAME_TAKEN for a phrase another device already answers to: voice would then pick one of
 * the two, and a wrong device action is the worst outcome. A clash the device had before the edit
 * (an adopted device announced with a name already in use) does not block an unrelated change.
 */
export function checkNaming(
  d: DeviceRecord | undefined,
  proposed: Pick<DeviceRecord, 'id' | 'kind'> & NamingEdit,
  devices: Iterable<DeviceRecord>,
): Naming {
  const edit: NamingEdit = {
    ...(proposed.name !== undefined ? { name: proposed.name } : {}),
    ...(proposed.room !== undefined ? { room: proposed.room } : {}),
    ...(proposed.aliases !== undefined ? { aliases: proposed.aliases } : {}),
  };
  const all = [...devices];
  const problem = namingProblem(edit, d?.name);
  if (problem) throw new AliciaError(problem.code, problem.message, { field: problem.field, value: problem.value });

  const next: Naming = {
    name: edit.name !== undefined ? tidyText(edit.name) : (d?.name ?? ''),
    room: edit.room !== undefined ? tidyText(edit.room) : (d?.room ?? ''),
    aliases: edit.aliases !== undefined ? edit.aliases.map(tidyText) : [...(d?.aliases ?? [])],
  };
  if (edit.room !== undefined) next.room = sameRoomAs(next.room, all, proposed.id);
  const others = othersIndex(all, proposed.id);
  const before = d ? phraseKeys(d) : new Set<string>();
  const self = { id: proposed.id, kind: proposed.kind };
  const bareName = phraseKeys({ ...self, name: next.name, room: '', aliases: [] });
  const bare = phraseKeys({ ...self, name: next.name, room: '', aliases: next.aliases });
  const nameKeys = phraseKeys({ ...self, name: next.name, room: next.room, aliases: [] });
  for (const key of phraseKeys({ ...self, ...next })) {
    const other = others.get(key);
    if (other === undefined || before.has(key)) continue;
    // which field to point the user at: the word said alone, else the room that was put in front of it
    const field: NamingField = bare.has(key)
      ? bareName.has(key)
        ? 'name'
        : 'aliases'
      : edit.room !== undefined
        ? 'room'
        : nameKeys.has(key)
          ? 'name'
          : 'aliases';
    throw new AliciaError('DEVICE_NAME_TAKEN', `${heard(key, next, self)} already means ${other}: voice commands would be ambiguous`, {
      field,
      value: key,
      device_id: other,
    });
  }
  return next;
}
