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
    const o = e as { code?: unknown; message?: unknown };
    const error = {
      code: typeof o.code === 'string' ? o.code : 'INTERNAL',
      message: typeof o.message === 'string' ? o.message : String(e),
    };
    setAction(name, { action, pending: false, ok: false, error, at: Date.now() });
  }
}
