import type { BusPacket, InProcessBus } from '../../electron/host/broker/types.js';

/**
 * An InProcessBus that only feeds onPublish listeners, synchronously, the way the broker does: the
 * recorder's publish path without a broker in front (its tests and the ingest benchmark; here, not
 * in a testing/ folder, because the benchmark is compiled to dist/e2e and so can only import what
 * the e2e project builds).
 */
export function hookBus(): { bus: InProcessBus; emit: (p: BusPacket) => void } {
  const listeners = new Set<(p: BusPacket) => void>();
  return {
    bus: {
      onPublish: (l) => (listeners.add(l), () => void listeners.delete(l)),
      publish: () => Promise.resolve(),
      subscribe: () => Promise.resolve(() => Promise.resolve()),
    },
    emit: (p) => {
      for (const l of listeners) l(p);
    },
  };
}
