import { create } from 'zustand';
import type { NamingField } from '../../../services/lib/protocol/deviceNaming.js';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import { onNextFrame } from '../bus/frame.js';
import { useConnection } from './connectionStore.js';

export type DeviceStatus = MessageOf<'alicia/device/status/+'>;

export interface ErrorShown {
  code: string;
  message: string;
}

export interface DeviceCommandState {
  action: string;
  pending: boolean;
  /** the reason a command failed or timed out */
  error?: ErrorShown;
  at: number;
  /** the device's status when the failure arrived: any other status is newer, and the failure old news */
  basis?: DeviceStatus;
}

/** A device's open edit form (name, room, aliases): its save in flight, or refused with the field it concerns. */
export interface DeviceEditState {
  pending: boolean;
  error?: ErrorShown & { field?: NamingField };
}

/** A registry remove in flight or refused, per device (the card shows it). */
export interface DeviceRemovalState {
  pending: boolean;
  error?: ErrorShown;
}

/** What add_device answered: the file holding the new password, shown once until dismissed. */
export interface IssuedCredential {
  device: string;
  username: string;
  password_file: string;
  replaced: boolean;
  /** connections that used the previous password (re-issue) and were closed */
  disconnected: number;
}

export interface DeviceCredentialsState {
  /** names of external devices with a credential; null until listed */
  names: string[] | null;
  /** the request in flight: "list", "add:<name>", "remove:<name>" */
  busy: string | null;
  /** the last refusal, with what was asked */
  error: (ErrorShown & { what: string }) | null;
  issued: IssuedCredential | null;
  /** the last revoke, for the confirmation line */
  revoked: { device: string; disconnected: number } | null;
}

export interface DevicesState {
  devices: Record<string, DeviceStatus>;
  commands: Record<string, DeviceCommandState>;
  removals: Record<string, DeviceRemovalState>;
  edits: Record<string, DeviceEditState>;
  /**
   * Levels the user is setting and the device has not reported yet, by levelKey(device, action):
   * the control shows these rather than jumping back to the old state while the command travels.
   */
  levels: Record<string, number>;
  credentials: DeviceCredentialsState;
}

export const useDevices = create<DevicesState>(() => ({
  devices: {},
  commands: {},
  removals: {},
  edits: {},
  levels: {},
  credentials: { names: null, busy: null, error: null, issued: null, revoked: null },
}));

export function levelKey(deviceId: string, action: string): string {
  return `${deviceId}:${action}`;
}

const commandPatch = new Map<string, DeviceCommandState>();
let commandFlushes = 0;

/**
 * Record a command's progress on its card. Committed with the frame's other store updates and after
 * the device statuses that arrived before it (a fresh key each time queues it behind them), so the
 * failure's `basis` is the status the window had when the failure arrived.
 */
export function recordCommand(deviceId: string, c: DeviceCommandState): void {
  commandPatch.set(deviceId, c);
  onNextFrame(`devices.commands.${++commandFlushes}`, () => {
    if (commandPatch.size === 0) return;
    const s = useDevices.getState();
    const commands = { ...s.commands };
    for (const [id, cmd] of commandPatch) {
      const basis = s.devices[id];
      commands[id] = cmd.error && basis ? { ...cmd, basis } : cmd;
    }
    commandPatch.clear();
    useDevices.setState({ commands });
  });
}

/** The commands with the failures in `stale` (device ids) dropped; the same object when there are none. */
function withoutErrors(commands: Record<string, DeviceCommandState>, stale: (id: string, c: DeviceCommandState) => boolean) {
  let out: Record<string, DeviceCommandState> | null = null;
  for (const [id, c] of Object.entries(commands)) {
    if (!c.error || !stale(id, c)) continue;
    out ??= { ...commands };
    delete out[id];
  }
  return out ?? commands;
}

// A failure stays on its card only until the device says something newer: a DEVICE_TIMEOUT whose
// state report came late, a NOT_CONNECTED from before the window reconnected.
useDevices.subscribe((s, prev) => {
  if (s.devices === prev.devices) return;
  const commands = withoutErrors(s.commands, (id, c) => s.devices[id] !== undefined && s.devices[id] !== c.basis);
  if (commands !== s.commands) useDevices.setState({ commands });
});
useConnection.subscribe((s, prev) => {
  if (s.status !== 'connected' || prev.status === 'connected') return;
  const { commands } = useDevices.getState();
  const kept = withoutErrors(commands, () => true);
  if (kept !== commands) useDevices.setState({ commands: kept });
});
