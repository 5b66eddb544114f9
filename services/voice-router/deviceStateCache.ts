import type { MessageOf } from '../lib/protocol/topics.js';

export interface KnownDevice {
  name: string;
  room: string;
  state: Record<string, unknown>;
  online: boolean;
  /** the user marked it: spoken commands ask before acting on it */
  confirm: boolean;
}

/**
 * The last retained status of every device (alicia/device/status/<id>), so questions ("is the
 * kitchen light on?") are answered from what the devices last reported, without a round trip.
 * An empty retained payload removes the device (protocol/device.ts).
 */
export class DeviceStateCache {
  private readonly devices = new Map<string, KnownDevice>();

  update(msg: MessageOf<'alicia/device/status/+'>): void {
    this.devices.set(msg.device_id, {
      name: msg.name,
      room: msg.room,
      state: { ...msg.state },
      online: msg.online,
      confirm: msg.confirm === true,
    });
  }

  remove(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  get(deviceId: string): KnownDevice | undefined {
    return this.devices.get(deviceId);
  }

  get size(): number {
    return this.devices.size;
  }
}
