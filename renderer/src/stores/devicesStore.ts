import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

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
  credentials: DeviceCredentialsState;
}

export const useDevices = create<DevicesState>(() => ({
  devices: {},
  commands: {},
  removals: {},
  credentials: { names: null, busy: null, error: null, issued: null, revoked: null },
}));
