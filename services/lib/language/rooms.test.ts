import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from './deviceRegistry.js';
import { buildGrammar, loadDictionaryWords } from './grammar.js';
import { matchIntent } from './matcher.js';
import { roomKey } from './normalize.js';
import { defaultHomeRegistry } from './testing/defaultHome.js';

/** Devices adopted from Home Assistant discovery, as their statuses read before the user gave them a room. */
const ADOPTED: DeviceInfo[] = [
  {
    device_id: '0x00158d0001_light_zigbee2mqtt',
    name: 'desk bulb',
    kind: 'light',
    room: '',
    aliases: [],
    traits: ['on_off', 'brightness'],
    state: { on: false },
    online: true,
  },
  {
    device_id: 'esplightshelf_light',
    name: 'Shelf Light',
    kind: 'light',
    room: '',
    aliases: [],
    traits: ['on_off', 'brightness'],
    state: { on: false },
    online: true,
  },
  {
    device_id: 'dc4f22_rl_1',
    name: 'Porch Plug',
    kind: 'switch',
    room: '',
    aliases: [],
    traits: ['on_off'],
    state: { on: false },
    online: true,
  },
];

function home(rooms: Record<string, string>) {
  const reg = defaultHomeRegistry();
  for (const d of ADOPTED) reg.upsert({ ...d, room: rooms[d.device_id] ?? d.room });
  return reg;
}

const commanded = (r: ReturnType<typeof matchIntent>) => r.commands.map((c) => `${c.device_id} ${c.action}`).sort();

describe('rooms the user assigns to adopted devices', () => {
  it('"turn on the lights in the study" switches exactly the lights put in the study, however the room was typed', () => {
    for (const study of ['study', 'Study', 'The Study', '  the   study ']) {
      const reg = home({ '0x00158d0001_light_zigbee2mqtt': study, esplightshelf_light: 'study', dc4f22_rl_1: 'porch' });
      const r = matchIntent('turn on the lights in the study', reg);
      expect(r.understood, study).toBe(true);
      expect(r.intent).toMatchObject({ name: 'turn_on', slots: { room: 'study', count: 2 } });
      expect(commanded(r)).toEqual(['0x00158d0001_light_zigbee2mqtt turn_on', 'esplightshelf_light turn_on']);
      expect(r.response_text).toBe('Turning on 2 lights in the study.');
    }
  });

  it('a room nobody is in is not a room yet; moving a device out of it takes it out of the command', () => {
    expect(matchIntent('turn on the lights in the study', home({})).commands).toEqual([]);
    const one = home({ '0x00158d0001_light_zigbee2mqtt': 'study', esplightshelf_light: 'living room' });
    expect(commanded(matchIntent('turn on the lights in the study', one))).toEqual(['0x00158d0001_light_zigbee2mqtt turn_on']);
    // the living room now has the default home's light and the shelf light
    expect(commanded(matchIntent('turn off the lights in the living room', one))).toEqual([
      'esplightshelf_light turn_off',
      'living_room_light turn_off',
    ]);
  });

  it('a hyphenated room is the spoken words', () => {
    expect(roomKey('Guest-Room')).toBe('guest room');
    const reg = home({ dc4f22_rl_1: 'Guest-Room' });
    expect(commanded(matchIntent('switch off the lights in the guest room', reg))).toEqual(['dc4f22_rl_1 turn_off']);
  });

  it('an adopted device answers to its new name and aliases, and the grammar has the room and the phrases', () => {
    const reg = defaultHomeRegistry();
    const dict = loadDictionaryWords();
    const before = buildGrammar(reg, dict);
    expect(before.jsgf).not.toMatch(/<room> = .*\bstudy\b/);
    reg.upsert({ ...ADOPTED[0]!, name: 'desk lamp', room: 'study', aliases: ['reading light'] });
    const g = buildGrammar(reg, dict);
    expect(g.signature).not.toBe(before.signature);
    expect(g.jsgf).toMatch(/<room> = .*\bstudy\b/);
    expect(g.jsgf).toMatch(/<device> = .*\bstudy desk lamp\b/);
    expect(g.jsgf).toMatch(/<device> = .*\breading light\b/);
    expect(commanded(matchIntent('turn on the reading light', reg))).toEqual(['0x00158d0001_light_zigbee2mqtt turn_on']);
    expect(commanded(matchIntent('turn off the study desk lamp', reg))).toEqual(['0x00158d0001_light_zigbee2mqtt turn_off']);
  });
});
