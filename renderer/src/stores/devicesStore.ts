import { create } from 'zustand';
import type { MessageOf } from '../../../services/protocol/topics.js';

export type DeviceStatus = MessageOf<'alicia/device/status/+'>;

export interface DeviceCommandState {
  action: string;
  pending: boolean;
  /** the reason a command failed or timed out */
  error?: { code: string; message: string };
  at: number;
}

export interface DevicesState {
  devices: Record<string, DeviceStatus>;
  commands: Record<string, DeviceCommandState>;
}

export const useDevices = create<DevicesState>(() => ({ devices: {}, commands: {} }));
