import type { DeviceAction, DeviceActionArgs, DeviceActionName } from '../../../services/lib/protocol/deviceActions.js';
import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import { request } from '../bus/connection.js';
import { onNextFrame } from '../bus/frame.js';
import { RefusedError } from '../bus/pending.js';
import type { AddDeviceRequest, InitialState } from '../model/deviceForm.js';
import { initialCommands } from '../model/deviceForm.js';
import { fieldOfNamingError } from '../model/deviceEdit.js';
import type { RenameRequest } from '../model/deviceEdit.js';
import { LatestValueSender } from '../model/deviceLevels.js';
import { levelKey, recordCommand, useDevices } from '../stores/devicesStore.js';
import type { DeviceCredentialsState, ErrorShown } from '../stores/devicesStore.js';

function errorOf(e: unknown): ErrorShown {
  return isAliciaError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error).message };
}

/**
 * Send alicia/device/command and track it per device: the card shows the command pending, and a
 * failure or timeout with its reason. The new state itself arrives on the retained status topic.
 * Typed by the action union: `deviceCommand(id, 'set_brightness', { brightness: 40 })`.
 */
export function deviceCommand<A extends DeviceActionName>(device_id: string, action: A, ...params: DeviceActionArgs<A>): Promise<void> {
  return sendDeviceAction(device_id, { action, params: params[0] ?? {} } as DeviceAction);
}

async function sendDeviceAction(device_id: string, { action, params }: DeviceAction): Promise<void> {
  recordCommand(device_id, { action, pending: true, at: Date.now() });
  try {
    await request('alicia/device/command', { device_id, action, params }, { timeoutMs: 8000, what: `${action} ${device_id}` });
    recordCommand(device_id, { action, pending: false, at: Date.now() });
  } catch (e) {
    recordCommand(device_id, { action, pending: false, error: errorOf(e), at: Date.now() });
  }
}

/** The actions a level control sets, each with its one parameter. */
type LevelAction = 'set_brightness' | 'set_volume' | 'set_temperature';
function levelAction(action: LevelAction, v: number): DeviceAction {
  switch (action) {
    case 'set_brightness':
      return { action, params: { brightness: v } };
    case 'set_volume':
      return { action, params: { volume: v } };
    case 'set_temperature':
      return { action, params: { target: v } };
  }
}
/** How long a level must rest before it is sent: a run of key presses or a slow drag is one command. */
const LEVEL_QUIET_MS = 350;

/** levelKey -> what it sets */
const levelTargets = new Map<string, { device_id: string; action: LevelAction }>();

const levelSender = new LatestValueSender(
  (key, value) => {
    const t = levelTargets.get(key);
    if (!t) return Promise.resolve();
    return sendDeviceAction(t.device_id, levelAction(t.action, value));
  },
  // after the frame's status updates, so the control moves from the wanted value straight to the reported one
  (key) =>
    onNextFrame(`devices.levels.${key}`, () =>
      useDevices.setState((s) => {
        const levels = { ...s.levels };
        delete levels[key];
        return { levels };
      }),
    ),
  LEVEL_QUIET_MS,
);

/**
 * The user moved a level control (brightness, volume, setpoint): show the value at once and send the
 * latest one when the user pauses (`now`: at once, e.g. a released pointer), never one command per
 * key press and never two at a time for one control.
 */
export function setLevel(device_id: string, action: LevelAction, value: number, now = false): void {
  const key = levelKey(device_id, action);
  levelTargets.set(key, { device_id, action });
  useDevices.setState((s) => ({ levels: { ...s.levels, [key]: value } }));
  levelSender.want(key, value, now);
}

/** Send a waiting level now (the control lost focus or the pointer was released). */
export function flushLevel(device_id: string, action: LevelAction): void {
  levelSender.flush(levelKey(device_id, action));
}

/**
 * Rename, move or re-alias a device through the registry (alicia/device/registry/request). The
 * card follows the retained status; a refusal stays in the store for the edit form, with the field
 * the device manager named. Resolves true when the change was accepted.
 */
export async function renameDevice(req: RenameRequest): Promise<boolean> {
  const id = req.device_id;
  useDevices.setState((s) => ({ edits: { ...s.edits, [id]: { pending: true } } }));
  try {
    await request('alicia/device/registry/request', req, { timeoutMs: 8000, what: `rename ${id}` });
    useDevices.setState((s) => {
      const edits = { ...s.edits };
      delete edits[id];
      return { edits };
    });
    return true;
  } catch (e) {
    const error = errorOf(e);
    const field = fieldOfNamingError(e instanceof RefusedError ? (e.reply.error as { details?: unknown } | undefined)?.details : undefined);
    useDevices.setState((s) => ({ edits: { ...s.edits, [id]: { pending: false, error: { ...error, ...(field ? { field } : {}) } } } }));
    return false;
  }
}

/** Open a device's edit form. It lives in the store, not in the card: a card the edit moves to another room is a new card. */
export function openEdit(device_id: string): void {
  useDevices.setState((s) => ({ edits: { ...s.edits, [device_id]: { pending: false } } }));
}

/** Close a device's edit form, forgetting a refusal. */
export function clearEdit(device_id: string): void {
  useDevices.setState((s) => {
    const edits = { ...s.edits };
    delete edits[device_id];
    return { edits };
  });
}

export type AddDeviceOutcome = { ok: true; device_id: string } | { ok: false; error: ErrorShown };

/**
 * Add a device through the device manager (alicia/device/registry/request), then command it into
 * the state the form asked for: the registry has no initial state, the new device starts in its
 * kind's default. A refusal (DEVICE_EXISTS, SCHEMA_INVALID...) comes back for the form to show.
 * The card itself appears when the device manager publishes the retained status.
 */
export async function addDevice(req: AddDeviceRequest, initial: InitialState): Promise<AddDeviceOutcome> {
  const id = req.device.device_id;
  let reply: MessageOf<'alicia/device/registry/response'>;
  try {
    reply = await request('alicia/device/registry/request', req, { timeoutMs: 8000, what: `add ${id}` });
  } catch (e) {
    return { ok: false, error: errorOf(e) };
  }
  const added = reply.devices?.find((d) => d.device_id === id);
  const state = added && typeof added.state === 'object' && added.state !== null ? (added.state as Record<string, unknown>) : {};
  // One at a time, in order: a failure shows on the card (deviceCommand), the device stays added.
  for (const c of initialCommands(initial, state)) await sendDeviceAction(id, c);
  return { ok: true, device_id: id };
}

/** Remove a device from the registry; its card goes when the empty retained status arrives. */
export async function removeDevice(device_id: string): Promise<void> {
  useDevices.setState((s) => ({ removals: { ...s.removals, [device_id]: { pending: true } } }));
  try {
    await request('alicia/device/registry/request', { action: 'remove', device_id }, { timeoutMs: 8000, what: `remove ${device_id}` });
    useDevices.setState((s) => {
      const removals = { ...s.removals };
      delete removals[device_id];
      return { removals };
    });
  } catch (e) {
    const error = errorOf(e);
    useDevices.setState((s) => ({ removals: { ...s.removals, [device_id]: { pending: false, error } } }));
  }
}

/** Dismiss a refused removal. */
export function clearRemoval(device_id: string): void {
  useDevices.setState((s) => {
    const removals = { ...s.removals };
    delete removals[device_id];
    return { removals };
  });
}

// ---------------------------------------------------------------- external device credentials

function patchCredentials(patch: Partial<DeviceCredentialsState>): void {
  useDevices.setState((s) => ({ credentials: { ...s.credentials, ...patch } }));
}

type CredentialRequest = { action: 'list_devices' } | { action: 'add_device'; name: string } | { action: 'remove_device'; name: string };

/** One credentials request (host, alicia/system/credentials/request); refusals go to the store. */
async function credentialsRequest(body: CredentialRequest, busy: string): Promise<MessageOf<'alicia/system/credentials/response'> | null> {
  patchCredentials({ busy, error: null });
  try {
    const reply = await request('alicia/system/credentials/request', body, { timeoutMs: 10_000, what: busy });
    patchCredentials({ busy: null, ...(reply.devices ? { names: reply.devices } : {}) });
    return reply;
  } catch (e) {
    patchCredentials({ busy: null, error: { ...errorOf(e), what: busy } });
    return null;
  }
}

export async function listDeviceCredentials(): Promise<void> {
  await credentialsRequest({ action: 'list_devices' }, 'list');
}

/**
 * Create (or re-issue) the credential of external device `name`. The host writes the password to
 * a 0600 file and answers with its path, never the password (services/lib/protocol/system.ts): the
 * response topic is seen by every window and recorded.
 */
export async function createDeviceCredential(name: string): Promise<boolean> {
  patchCredentials({ issued: null, revoked: null });
  const reply = await credentialsRequest({ action: 'add_device', name }, `add:${name}`);
  if (!reply) return false;
  patchCredentials({
    issued: {
      device: reply.device ?? name,
      username: reply.username ?? `device:${name}`,
      password_file: reply.password_file ?? '',
      replaced: reply.replaced === true,
      disconnected: reply.disconnected ?? 0,
    },
  });
  return true;
}

/** Revoke a device's credential: the host deletes it and its password file and closes its connections. */
export async function revokeDeviceCredential(name: string): Promise<void> {
  const reply = await credentialsRequest({ action: 'remove_device', name }, `remove:${name}`);
  if (!reply) return;
  const issued = useDevices.getState().credentials.issued;
  patchCredentials({
    revoked: { device: name, disconnected: reply.disconnected ?? 0 },
    // the file it pointed at is gone
    ...(issued?.device === name ? { issued: null } : {}),
  });
}

export function dismissIssuedCredential(): void {
  patchCredentials({ issued: null });
}
