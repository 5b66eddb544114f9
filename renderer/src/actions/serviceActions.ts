import { instanceId } from '../../../services/lib/protocol/nodes.js';
import { request } from '../bus/connection.js';
import { useServices } from '../stores/servicesStore.js';
import type { ServiceAction } from '../stores/servicesStore.js';

function setAction(name: string, a: ServiceAction): void {
  useServices.setState((s) => ({ actions: { ...s.actions, [name]: a } }));
}

/**
 * Start/stop/restart through the supervisor; the row shows pending, then the supervisor's answer.
 * `node`: the service node whose supervisor runs this instance (absent: the host's); the row's
 * action is kept under its instance id.
 */
export async function serviceAction(name: string, action: ServiceAction['action'], node?: string): Promise<void> {
  const key = node === undefined ? name : instanceId(name, node);
  setAction(key, { action, pending: true, at: Date.now() });
  try {
    const r = await request(
      'alicia/system/supervisor/request',
      { action, service: name, ...(node === undefined ? {} : { node }) },
      { timeoutMs: 20_000, what: `${action} ${key}` },
    );
    setAction(key, {
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
    setAction(key, { action, pending: false, ok: false, error, at: Date.now() });
  }
}
