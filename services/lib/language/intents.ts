import { DEFAULT_THERMOSTAT_LIMITS, PERCENT, canDo, deviceCommand } from '../protocol/deviceActions.js';
import type { DefaultThermostatMode, DeviceActionArgs, DeviceActionName, DeviceCommand } from '../protocol/deviceActions.js';
import type { DeviceInfo } from './deviceRegistry.js';
import { roomKey } from './normalize.js';
import type { BuildEnv, BuildOutcome, IntentTemplate, ResolvedSlots } from './intentTypes.js';

/**
 * The intents Alicia understands: each sentence template with the builder that turns its slots
 * into device commands (the action union of services/lib/protocol/deviceActions.ts, so a builder
 * that writes a wrong action/params pair does not compile) and a reply. Order matters: the first
 * template whose builder accepts a reading wins.
 *
 * Safety rule: a wrong device action is the worst outcome (worse than "I did not understand"), so a
 * builder refuses (ok:false) whenever the device cannot do what was asked instead of guessing
 * another device.
 */

const has = (d: DeviceInfo, trait: string): boolean => d.traits.includes(trait);
const isLight = (d: DeviceInfo): boolean => d.kind === 'light' || d.kind === 'switch';
const isThermostat = (d: DeviceInfo): boolean => d.kind === 'thermostat' || d.kind === 'climate';
const isSpeaker = (d: DeviceInfo): boolean => d.kind === 'speaker';
const dimmable = (d: DeviceInfo): boolean => canDo(d, 'set_brightness');

const cmd = <A extends DeviceActionName>(d: DeviceInfo, action: A, ...params: DeviceActionArgs<A>): DeviceCommand =>
  deviceCommand(d.device_id, action, ...params);
const the = (d: DeviceInfo): string => `the ${d.name}`;
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const no = (reason: string): BuildOutcome => ({ ok: false, reason });

/** The status does not carry a thermostat's own range: refuse outside the default one; the device manager enforces the real one. */
const { min_temp: MIN_TEMP, max_temp: MAX_TEMP } = DEFAULT_THERMOSTAT_LIMITS;
/** "brighter"/"dimmer" by voice: a step a person notices (the device's own brightness_up step is smaller). */
const BRIGHTNESS_STEP = 25;

function needDevice(s: ResolvedSlots): DeviceInfo | BuildOutcome {
  return s.device ?? no('Which device do you mean?');
}

function onOff(on: boolean) {
  return (s: ResolvedSlots): BuildOutcome => {
    const d = needDevice(s);
    if ('ok' in d) return d;
    const word = on ? 'on' : 'off';
    if (!canDo(d, on ? 'turn_on' : 'turn_off')) return no(`${cap(the(d))} cannot be turned ${word}.`);
    return {
      ok: true,
      name: on ? 'turn_on' : 'turn_off',
      commands: [cmd(d, on ? 'turn_on' : 'turn_off')],
      response: `Turning ${word} ${the(d)}.`,
      device: d,
    };
  };
}

function roomLights(on: boolean, allRooms: boolean) {
  return (s: ResolvedSlots, env: BuildEnv): BuildOutcome => {
    const room = allRooms ? undefined : s.room;
    const lights = env.registry
      .list()
      .filter((d) => isLight(d) && (room === undefined || roomKey(d.room) === room))
      .sort((a, b) => a.device_id.localeCompare(b.device_id));
    const where = room === undefined ? '' : ` in the ${room}`;
    if (lights.length === 0) return no(`There are no lights${where}.`);
    const word = on ? 'on' : 'off';
    return {
      ok: true,
      name: on ? 'turn_on' : 'turn_off',
      slots: { room: room ?? null, count: lights.length },
      commands: lights.map((d) => cmd(d, on ? 'turn_on' : 'turn_off')),
      response: `Turning ${word} ${lights.length === 1 ? 'the light' : `${lights.length} lights`}${where}.`,
      ...(room === undefined ? {} : { room }),
      ...(lights.length === 1 ? { device: lights[0]! } : {}),
    };
  };
}

type Unit = 'percent' | 'degrees' | undefined;

/** "set X to N [percent|degrees]": the device kind decides what N means. */
function setValue(unit: Unit, only?: 'brightness' | 'volume' | 'temperature') {
  return (s: ResolvedSlots): BuildOutcome => {
    const d = needDevice(s);
    if ('ok' in d) return d;
    const n = s.number;
    if (n === undefined) return no('To what value?');
    const want = only ?? (isThermostat(d) ? 'temperature' : isSpeaker(d) ? 'volume' : isLight(d) ? 'brightness' : undefined);
    if (want === 'temperature') {
      if (!canDo(d, 'set_temperature') || unit === 'percent') return no(`${cap(the(d))} has no temperature to set.`);
      if (n < MIN_TEMP || n > MAX_TEMP) return no(`I can set ${the(d)} between ${MIN_TEMP} and ${MAX_TEMP} degrees.`);
      return {
        ok: true,
        name: 'set_temperature',
        slots: { value: n },
        commands: [cmd(d, 'set_temperature', { target: n })],
        response: `Setting ${the(d)} to ${num(n)} degrees.`,
        device: d,
      };
    }
    if (unit === 'degrees') return no(`${cap(the(d))} is not a thermostat.`);
    if (!Number.isInteger(n) || n < PERCENT.min || n > PERCENT.max)
      return no(`Give a value from ${PERCENT.min} to ${PERCENT.max} percent.`);
    if (want === 'volume') {
      if (!canDo(d, 'set_volume')) return no(`${cap(the(d))} has no volume.`);
      return {
        ok: true,
        name: 'set_volume',
        slots: { value: n },
        commands: [cmd(d, 'set_volume', { volume: n })],
        response: `Setting the volume of ${the(d)} to ${n} percent.`,
        device: d,
      };
    }
    if (want === 'brightness') {
      if (!dimmable(d)) return no(`${cap(the(d))} cannot be dimmed.`);
      return {
        ok: true,
        name: 'set_brightness',
        slots: { value: n },
        commands: [cmd(d, 'set_brightness', { brightness: n })],
        response: `Setting ${the(d)} to ${n} percent.`,
        device: d,
      };
    }
    return no(`${cap(the(d))} has nothing to set.`);
  };
}

function brightness(delta: number) {
  return (s: ResolvedSlots): BuildOutcome => {
    const d = needDevice(s);
    if ('ok' in d) return d;
    if (!dimmable(d)) return no(`${cap(the(d))} cannot be dimmed.`);
    const cur = d.state.brightness;
    const word = delta > 0 ? 'brighter' : 'dimmer';
    // From the last known state when we have it (one absolute command, idempotent on retry);
    // otherwise the device manager's relative action.
    if (typeof cur === 'number') {
      const target = Math.max(PERCENT.min, Math.min(PERCENT.max, Math.round(cur + delta)));
      return {
        ok: true,
        name: 'set_brightness',
        slots: { value: target },
        commands: [cmd(d, 'set_brightness', { brightness: target })],
        response: `Making ${the(d)} ${word}: ${target} percent.`,
        device: d,
      };
    }
    return {
      ok: true,
      name: delta > 0 ? 'brightness_up' : 'brightness_down',
      commands: [cmd(d, delta > 0 ? 'brightness_up' : 'brightness_down')],
      response: `Making ${the(d)} ${word}.`,
      device: d,
    };
  };
}

function setMode(s: ResolvedSlots): BuildOutcome {
  const d = needDevice(s);
  if ('ok' in d) return d;
  if (!canDo(d, 'set_mode')) return no(`${cap(the(d))} has no modes.`);
  const mode = s.mode ?? 'heat';
  return {
    ok: true,
    name: 'set_mode',
    slots: { mode },
    commands: [cmd(d, 'set_mode', { mode })],
    response: mode === 'off' ? `Switching ${the(d)} off.` : `Setting ${the(d)} to ${mode}.`,
    device: d,
  };
}

function lock(locked: boolean) {
  return (s: ResolvedSlots): BuildOutcome => {
    const d = needDevice(s);
    if ('ok' in d) return d;
    if (!canDo(d, locked ? 'lock' : 'unlock')) return no(`${cap(the(d))} has no lock.`);
    return {
      ok: true,
      name: locked ? 'lock' : 'unlock',
      commands: [cmd(d, locked ? 'lock' : 'unlock')],
      response: `${locked ? 'Locking' : 'Unlocking'} ${the(d)}.`,
      device: d,
    };
  };
}

/** The speaker a volume/music command means: named, else the one in context, else the only/first one. */
function pickSpeaker(s: ResolvedSlots, env: BuildEnv): DeviceInfo | BuildOutcome {
  if (s.device) return isSpeaker(s.device) ? s.device : no(`${cap(the(s.device))} is not a speaker.`);
  const last = env.context.last_device_id ? env.registry.get(env.context.last_device_id) : undefined;
  if (last && isSpeaker(last)) return last;
  const speakers = env.registry
    .list()
    .filter(isSpeaker)
    .sort((a, b) => a.device_id.localeCompare(b.device_id));
  const inRoom = speakers.find((d) => env.context.last_room !== undefined && roomKey(d.room) === env.context.last_room);
  return inRoom ?? speakers[0] ?? no('There is no speaker.');
}

function volumeStep(up: boolean) {
  return (s: ResolvedSlots, env: BuildEnv): BuildOutcome => {
    const d = pickSpeaker(s, env);
    if ('ok' in d) return d;
    return {
      ok: true,
      name: up ? 'volume_up' : 'volume_down',
      commands: [cmd(d, up ? 'volume_up' : 'volume_down')],
      response: `Turning the volume ${up ? 'up' : 'down'} on ${the(d)}.`,
      device: d,
    };
  };
}

function setVolume(s: ResolvedSlots, env: BuildEnv): BuildOutcome {
  const d = pickSpeaker(s, env);
  if ('ok' in d) return d;
  return setValue('percent', 'volume')({ ...s, device: d });
}

function music(play: boolean) {
  return (s: ResolvedSlots, env: BuildEnv): BuildOutcome => {
    const d = pickSpeaker(s, env);
    if ('ok' in d) return d;
    return {
      ok: true,
      name: play ? 'play_music' : 'pause_music',
      commands: [cmd(d, play ? 'play' : 'pause')],
      response: play ? `Playing music on ${the(d)}.` : `Pausing the music on ${the(d)}.`,
      device: d,
    };
  };
}

function getTemperature(s: ResolvedSlots, env: BuildEnv): BuildOutcome {
  const room = s.room ?? (s.device ? roomKey(s.device.room) || undefined : undefined);
  const all = env.registry.list().sort((a, b) => a.device_id.localeCompare(b.device_id));
  const candidates = s.device ? [s.device] : all.filter((d) => room === undefined || roomKey(d.room) === room);
  // A sensor's reading first, then a thermostat's measured temperature.
  const sensor = candidates.find((d) => d.kind === 'sensor' && has(d, 'temperature'));
  const thermo = candidates.find((d) => isThermostat(d) && has(d, 'current_temperature'));
  const d = sensor ?? thermo;
  const where = room === undefined ? '' : ` in the ${room}`;
  if (!d) return no(`I have no temperature sensor${where}.`);
  const field = d === sensor ? 'temperature' : 'current';
  // {value}: the voice router fills it from the device's current state (voice-router/replyText.ts)
  const response = `It is {value} degrees${where}.`;
  return {
    ok: true,
    name: 'get_temperature',
    slots: { room: room ?? null },
    commands: [],
    response,
    query: { device_id: d.device_id, field },
    device: d,
    ...(room === undefined ? {} : { room }),
  };
}

function getState(field: 'on' | 'locked' | 'playing') {
  return (s: ResolvedSlots): BuildOutcome => {
    const d = needDevice(s);
    if ('ok' in d) return d;
    const applies = field === 'on' ? isLight(d) : field === 'locked' ? d.kind === 'lock' : isSpeaker(d);
    if (!applies) return no(`${cap(the(d))} has no ${field === 'on' ? 'on or off' : field} state.`);
    const response = `${cap(the(d))} is {value}.`;
    return { ok: true, name: 'get_state', slots: { field }, commands: [], response, query: { device_id: d.device_id, field }, device: d };
  };
}

function getTime(_s: ResolvedSlots, env: BuildEnv): BuildOutcome {
  const h = env.now.getHours();
  const m = env.now.getMinutes();
  const text = `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  return { ok: true, name: 'get_time', slots: { time: text }, commands: [], response: `It is ${text}.` };
}

function cancel(): BuildOutcome {
  return { ok: true, name: 'cancel', commands: [], response: 'Okay, cancelled.' };
}

const ON = '(turn | switch)';

export const INTENT_TEMPLATES: readonly IntentTemplate[] = [
  // lights of a whole room (before single devices: "the kitchen lights" is also a kitchen_light alias)
  { intent: 'turn_on', template: `${ON} on [all] [the] lights in [the] {room}`, build: roomLights(true, false) },
  { intent: 'turn_off', template: `${ON} off [all] [the] lights in [the] {room}`, build: roomLights(false, false) },
  { intent: 'turn_on', template: `${ON} on all [the] lights`, build: roomLights(true, true) },
  { intent: 'turn_off', template: `${ON} off all [the] lights`, build: roomLights(false, true) },
  { intent: 'turn_on', template: `${ON} on [the] {device}`, build: onOff(true) },
  { intent: 'turn_on', template: `${ON} [the] {device} on`, build: onOff(true) },
  { intent: 'turn_off', template: `${ON} off [the] {device}`, build: onOff(false) },
  { intent: 'turn_off', template: `${ON} [the] {device} off`, build: onOff(false) },
  // thermostat modes before numbers ("set the thermostat to off" is a mode)
  { intent: 'set_mode', template: 'set [the] {device} [mode] to {mode} [mode]', build: setMode },
  { intent: 'set_brightness', template: 'set [the] {device} to {number} percent', build: setValue('percent') },
  { intent: 'set_temperature', template: 'set [the] {device} to {number} degrees', build: setValue('degrees') },
  { intent: 'set_brightness', template: 'set [the] {device} to {number}', build: setValue(undefined) },
  { intent: 'set_brightness', template: '(dim | brighten) [the] {device} to {number} [percent]', build: setValue('percent', 'brightness') },
  {
    intent: 'set_brightness',
    template: 'set [the] brightness of [the] {device} to {number} [percent]',
    build: setValue('percent', 'brightness'),
  },
  { intent: 'set_brightness', template: 'set [the] {device} brightness to {number} [percent]', build: setValue('percent', 'brightness') },
  { intent: 'set_brightness', template: 'make [the] {device} brighter', build: brightness(BRIGHTNESS_STEP) },
  { intent: 'set_brightness', template: 'make [the] {device} (dimmer | darker)', build: brightness(-BRIGHTNESS_STEP) },
  {
    intent: 'set_temperature',
    template: 'set [the] temperature to {number} [degrees]',
    build: (s, env) => setValue('degrees', 'temperature')({ ...s, device: s.device ?? firstThermostat(env) }),
  },
  { intent: 'lock', template: 'lock [the] {device}', build: lock(true) },
  { intent: 'unlock', template: 'unlock [the] {device}', build: lock(false) },
  { intent: 'get_temperature', template: 'what is the [current] temperature [(in | on) [the] {room}]', build: getTemperature },
  { intent: 'get_temperature', template: 'how (warm | cold | hot) is it [in [the] {room}]', build: getTemperature },
  { intent: 'get_temperature', template: 'what is the temperature of [the] {device}', build: getTemperature },
  { intent: 'get_state', template: 'is [the] {device} (on | off)', build: getState('on') },
  { intent: 'get_state', template: 'is [the] {device} (locked | unlocked)', build: getState('locked') },
  { intent: 'get_state', template: 'is [the] {device} playing', build: getState('playing') },
  { intent: 'volume_up', template: '[turn] [the] volume up [on [the] {device}]', build: volumeStep(true) },
  { intent: 'volume_down', template: '[turn] [the] volume down [on [the] {device}]', build: volumeStep(false) },
  { intent: 'volume_up', template: 'turn up the volume [on [the] {device}]', build: volumeStep(true) },
  { intent: 'volume_down', template: 'turn down the volume [on [the] {device}]', build: volumeStep(false) },
  { intent: 'volume_up', template: 'make [the] {device} louder', build: volumeStep(true) },
  { intent: 'volume_down', template: 'make [the] {device} quieter', build: volumeStep(false) },
  { intent: 'set_volume', template: 'set [the] volume [(on | of) [the] {device}] to {number} [percent]', build: setVolume },
  { intent: 'play_music', template: 'play [some] music [on [the] {device}]', build: music(true) },
  { intent: 'play_music', template: '(resume | continue) [the] music', build: music(true) },
  { intent: 'pause_music', template: '(pause | stop) [the] music [on [the] {device}]', build: music(false) },
  { intent: 'get_time', template: '(what time is it | what is the time | tell me the time)', build: getTime },
  { intent: 'cancel', template: '(cancel | never mind | forget it | cancel that | stop)', build: cancel },
];

function firstThermostat(env: BuildEnv): DeviceInfo | undefined {
  return env.registry
    .list()
    .filter(isThermostat)
    .sort((a, b) => a.device_id.localeCompare(b.device_id))[0];
}

/** Mode words the {mode} slot accepts -> the thermostat mode (one of the default modes every thermostat here has). */
export const MODE_WORDS: Readonly<Record<string, DefaultThermostatMode>> = {
  heat: 'heat',
  heating: 'heat',
  cool: 'cool',
  cooling: 'cool',
  off: 'off',
};
