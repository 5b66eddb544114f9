import { isAliciaError } from '../../../services/protocol/errors.js';
import { request } from '../bus/connection.js';
import { useDevices } from '../stores/devicesStore.js';

/**
 * Send alicia/device/command and track it per device: the card shows the command pending, and a
 * failure or timeout with its reason. The new state itself arrives on the retained status topic.
 */
export async function deviceCommand(device_id: string, action: string, params: Record<string, unknown> = {}): Promise<void> {
  useDevices.setState((s) => ({ commands: { ...s.commands, [device_id]: { action, pending: true, at: Date.now() } } }));
  try {
    await request('alicia/device/command', { device_id, action, params }, { timeoutMs: 8000, what: `${action} ${device_id}` });
    useDevices.setState((s) => ({ commands: { ...s.commands, [device_id]: { action, pending: false, at: Date.now() } } }));
  } catch (e) {
    const error = isAliciaError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error).message };
    useDevices.setState((s) => ({ commands: { ...s.commands, [device_id]: { action, pending: false, error, at: Date.now() } } }));
  }
}
