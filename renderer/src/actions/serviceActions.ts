import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import { request } from '../bus/connection.js';
import { useServices } from '../stores/servicesStore.js';
import type { ServiceAction } from '../stores/servicesStore.js';

function setAction(name: string, a: ServiceAction): void {
  useServices.setState((s) => ({ actions: { ...s.actions, [name]: a } }));
}

/** Start/stop/restart through the supervisor; the row shows pending, then the supervisor's answer. */
export async function serviceAction(name: string, action: ServiceAction['action']): Promise<void> {
  setAction(name, { action, pending: true, at: Date.now() });
  try {
    const r = await request(
      'alicia/system/supervisor/request',
      { action, service: name },
      { timeoutMs: 20_000, what: `${action} ${name}` },
    );
    setAction(name, {
      action,
      pending: false,
      ok: true,
      message: `${action}: ${r.state ?? 'done'}`,
      at: Date.now(),
    });
  } catch (e) {
    const message = isAliciaError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    setAction(name, { action, pending: false, ok: false, message, at: Date.now() });
  }
}
