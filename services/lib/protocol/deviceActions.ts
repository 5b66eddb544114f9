import { z } from 'zod';
import { TRAITS } from './device.js';
import type { DeviceKind } from './device.js';
import { AliciaError } from './errors.js';

/**
 * Device actions, declared once: each action with the schema of its `params`, the limits of every
 * parameter, and which kinds of device (with which traits) can do it. The device manager validates
 * alicia/device/command against it and dispatches on the parsed action; the language layer's
 * intent builders, the ai service's check of a language model's answer and the window's device
 * controls all write `DeviceAction` values, so a wrong action/params pair written literally does
 * not compile.
 *
 * On the wire a parameter may also arrive under another name (`value` for any of them, `temperature`
 * for a set_temperature target) and a number as text ("50", "50%"): hand-typed commands and language
 * models write them so. Parsing turns those into the canonical form the `DeviceAction` type describes.
 */

/** Brightness and volume, in percent. */
export const PERCENT = { min: 0, max: 100 } as const;
/** The dimmest a lit light goes: 0 % is off (set_brightness 0 turns the light off). */
export const MIN_LIT_BRIGHTNESS = 1;
/** brightness_up/_down and volume_up/_down, in percent. */
export const PERCENT_STEP = { min: 1, max: 100, default: 10 } as const;
/** temperature_up/_down, in °C. */
export const TEMPERATURE_STEP = { min: 0.1, max: 10, default: 1 } as const;

/** The range and modes of a thermostat whose device config gives none (the default home's thermostats). */
export const DEFAULT_THERMOSTAT_LIMITS = { min_temp: 5, max_temp: 35, temp_step: 0.5, modes: ['heat', 'cool', 'off'] } as const;
export type DefaultThermostatMode = (typeof DEFAULT_THERMOSTAT_LIMITS.modes)[number];

/** What set_temperature and set_mode are checked against: one device's own limits. */
export interface ThermostatLimits {
  min_temp: number;
  max_temp: number;
  modes: readonly string[];
}

type Range = { readonly min: number; readonly max: number };

/** A refusal as a zod issue, carrying the details the device manager has always answered with. */
function refuse(ctx: z.RefinementCtx, message: string, details: Record<string, unknown>): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message, params: details });
  return z.NEVER;
}

/** Numbers or numeric text ("50", " 50 % "); anything else is left for the check to refuse. */
function asNumber(v: unknown): unknown {
  return typeof v === 'string' && v.trim() !== '' ? Number(v.trim().replace(/%$/, '')) : v;
}

/** Out-of-range values are refused, not clamped: "set the thermostat to 50" must not silently become 35. */
function checkedNumber(v: unknown, label: string, r: Range, ctx: z.RefinementCtx): number {
  const n = asNumber(v);
  if (typeof n !== 'number' || !Number.isFinite(n)) return refuse(ctx, `${label} must be a number`, { param: label });
  if (n < r.min || n > r.max)
    return refuse(ctx, `${label} must be between ${r.min} and ${r.max}`, { param: label, min: r.min, max: r.max });
  return n;
}

function numberParam(label: string, r: Range) {
  return z
    .unknown()
    .transform((v, ctx) => (v === undefined ? refuse(ctx, `${label} is required`, { param: label }) : checkedNumber(v, label, r, ctx)));
}

function optionalNumberParam(label: string, r: Range) {
  return z
    .unknown()
    .transform((v, ctx) => (v === undefined ? undefined : checkedNumber(v, label, r, ctx)))
    .optional();
}

function modeParam(modes: readonly string[]) {
  return z
    .unknown()
    .transform((v, ctx) =>
      typeof v === 'string' && modes.includes(v)
        ? v
        : refuse(ctx, `mode must be one of ${modes.join(', ')}`, { param: 'mode', allowed: modes }),
    );
}

/**
 * The params object of one action: `aliases` lists, per canonical key, the other names it may
 * arrive under (the first one present wins; null counts as absent). Unknown keys are dropped.
 */
function params<S extends z.ZodRawShape>(shape: S, aliases: { readonly [K in keyof S]?: readonly string[] } = {}) {
  return z.preprocess((raw) => {
    const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      for (const name of [key, ...(aliases[key] ?? [])]) {
        const v = given[name];
        if (v !== undefined && v !== null) {
          out[key] = v;
          break;
        }
      }
    }
    return out;
  }, z.object(shape));
}

const none = () => params({});
const percentStep = () => params({ step: optionalNumberParam('step', PERCENT_STEP) }, { step: ['value'] });

/** The action union for a device with these thermostat limits (the range of set_temperature, the modes of set_mode). */
function buildSchema(limits: ThermostatLimits) {
  const one = <A extends string, P extends z.ZodType>(action: A, p: P) => z.object({ action: z.literal(action), params: p });
  return z.discriminatedUnion('action', [
    one('get_state', none()),
    // on a dimmable light, turn_on may carry the level to turn on at
    one('turn_on', params({ brightness: optionalNumberParam('brightness', PERCENT) }, { brightness: ['value'] })),
    one('turn_off', none()),
    one('toggle', none()),
    one('set_brightness', params({ brightness: numberParam('brightness', PERCENT) }, { brightness: ['value'] })),
    one('brightness_up', percentStep()),
    one('brightness_down', percentStep()),
    one(
      'set_temperature',
      params({ target: numberParam('temperature', { min: limits.min_temp, max: limits.max_temp }) }, { target: ['temperature', 'value'] }),
    ),
    one('temperature_up', params({ step: optionalNumberParam('step', TEMPERATURE_STEP) }, { step: ['value'] })),
    one('temperature_down', params({ step: optionalNumberParam('step', TEMPERATURE_STEP) }, { step: ['value'] })),
    one('set_mode', params({ mode: modeParam(limits.modes) }, { mode: ['value'] })),
    one('lock', none()),
    one('unlock', none()),
    one('play', none()),
    one('pause', none()),
    one('set_volume', params({ volume: numberParam('volume', PERCENT) }, { volume: ['value'] })),
    one('volume_up', percentStep()),
    one('volume_down', percentStep()),
  ]);
}

/** Every action with its canonical params. */
export type DeviceAction = z.output<ReturnType<typeof buildSchema>>;
export type DeviceActionName = DeviceAction['action'];
export type DeviceActionParams<A extends DeviceActionName> = Extract<DeviceAction, { action: A }>['params'];

/** An alicia/device/command body as the language layer, the ai service and the window write it. */
export type DeviceCommand = { device_id: string } & DeviceAction;

/** Params may be left out when the action needs none. */
export type DeviceActionArgs<A extends DeviceActionName> =
  Record<never, never> extends DeviceActionParams<A> ? [params?: DeviceActionParams<A>] : [params: DeviceActionParams<A>];

/** One command, typed by its action: `deviceCommand(id, 'set_brightness', { brightness: 40 })`. */
export function deviceCommand<A extends DeviceActionName>(device_id: string, action: A, ...args: DeviceActionArgs<A>): DeviceCommand {
  return { device_id, action, params: args[0] ?? {} } as DeviceCommand;
}

const ON_OFF: readonly DeviceActionName[] = ['turn_on', 'turn_off', 'toggle', 'set_brightness', 'brightness_up', 'brightness_down'];
const THERMOSTAT: readonly DeviceActionName[] = [
  'set_temperature',
  'temperature_up',
  'temperature_down',
  'set_mode',
  'turn_on',
  'turn_off',
];

/** What each kind of device can do, in the order the window lists them (plus get_state, which every device answers). */
export const KIND_ACTIONS: { readonly [K in DeviceKind]: readonly DeviceActionName[] } = {
  light: ON_OFF,
  switch: ON_OFF,
  thermostat: THERMOSTAT,
  climate: THERMOSTAT,
  lock: ['lock', 'unlock', 'toggle'],
  speaker: ['play', 'pause', 'toggle', 'turn_on', 'turn_off', 'set_volume', 'volume_up', 'volume_down'],
  sensor: [],
};

/** Actions that need a trait besides the kind: only a dimmable light or switch has a level. */
export const ACTION_TRAITS: { readonly [A in DeviceActionName]?: string } = {
  set_brightness: TRAITS.brightness,
  brightness_up: TRAITS.brightness,
  brightness_down: TRAITS.brightness,
};

export interface ActionTarget {
  kind: string;
  traits: readonly string[];
}

/** The actions a device accepts (published in its status, shown by the window). */
export function actionsFor(device: ActionTarget): DeviceActionName[] {
  const own = Object.hasOwn(KIND_ACTIONS, device.kind) ? KIND_ACTIONS[device.kind as DeviceKind] : [];
  return [
    'get_state',
    ...own.filter((a) => {
      const trait = ACTION_TRAITS[a];
      return trait === undefined || device.traits.includes(trait);
    }),
  ];
}

export function canDo(device: ActionTarget, action: string): action is DeviceActionName {
  return (actionsFor(device) as string[]).includes(action);
}

const schemas = new Map<string, ReturnType<typeof buildSchema>>();

/** The action union checked against one device's limits (built once per distinct limits). */
export function deviceActionSchema(limits: ThermostatLimits = DEFAULT_THERMOSTAT_LIMITS): ReturnType<typeof buildSchema> {
  const key = JSON.stringify([limits.min_temp, limits.max_temp, limits.modes]);
  let s = schemas.get(key);
  if (!s) {
    // adopted devices bring their own limits: keep the cache bounded
    if (schemas.size >= 64) schemas.clear();
    s = buildSchema(limits);
    schemas.set(key, s);
  }
  return s;
}

/**
 * Parse an action and its params (as they arrived) into a DeviceAction. Throws AliciaError
 * DEVICE_BAD_ACTION for an action that does not exist and DEVICE_BAD_PARAMS for a parameter that
 * is missing, not a number, out of range or not an allowed mode (details name the parameter).
 */
export function parseDeviceAction(action: string, params: Record<string, unknown>, limits?: ThermostatLimits): DeviceAction {
  const r = deviceActionSchema(limits).safeParse({ action, params });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.path[0] !== 'params') throw new AliciaError('DEVICE_BAD_ACTION', `no device can ${action}`);
  const details = issue.code === 'custom' ? (issue.params as Record<string, unknown> | undefined) : undefined;
  throw new AliciaError('DEVICE_BAD_PARAMS', issue.message, details);
}

/** The parameters an action cannot do without (for describing the vocabulary to a language model). */
export function requiredParams(action: DeviceActionName): string[] {
  const option = deviceActionSchema().options.find((o) => o.shape.action.value === action);
  const shape = option?.shape.params.out?.shape ?? {};
  return Object.entries(shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
}
