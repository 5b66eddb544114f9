import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import { request } from '../bus/connection.js';
import { useHealth } from '../stores/healthStore.js';
import type { SessionEndAction } from '../stores/healthStore.js';

function setAction(id: string, a: SessionEndAction): void {
  useHealth.setState((s) => ({ sessionActions: { ...s.sessionActions, [id]: a } }));
}

/** End another window's session (the Health view): the host revokes its credential and closes its connections. */
export async function endWindowSession(id: string): Promise<void> {
  setAction(id, { pending: true });
  try {
    const r = await request(
      'alicia/system/window/request',
      { action: 'end', session: id },
      { timeoutMs: 10_000, what: `end window session ${id}` },
    );
    setAction(id, { pending: false, ok: true, message: `ended, ${r.disconnected ?? 0} connection(s) closed` });
  } catch (e) {
    const message = isAliciaError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    setAction(id, { pending: false, ok: false, message });
  }
}
