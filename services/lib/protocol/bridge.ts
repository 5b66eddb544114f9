import { z } from 'zod';

export const BRIDGE_STATES = ['connecting', 'connected', 'reconnecting', 'stopped'] as const;

/** Counters of one bridge since the host started (they survive reconnects). */
export const bridgeCountersSchema = z.looseObject({
  /** messages taken from the upstream broker and published on Alicia's */
  bridged_in: z.number().int().nonnegative(),
  /** messages taken from Alicia's broker and published upstream */
  bridged_out: z.number().int().nonnegative(),
  /** messages dropped because the bridge had published them itself on that side (the loop guard) */
  loops_dropped: z.number().int().nonnegative(),
  /** messages that could not be published on the other side (refused, or that side was down) */
  failed: z.number().int().nonnegative(),
  /** successful upstream connections after the first */
  reconnects: z.number().int().nonnegative(),
});

/** Retained on alicia/system/bridge/<name> by the bridge itself, on every change of state and every few seconds while counters move. */
export const bridgeStateSchema = z.looseObject({
  name: z.string(),
  /** the upstream broker, without its credential */
  url: z.string(),
  state: z.enum(BRIDGE_STATES),
  since: z.number(),
  /** why the last upstream connection attempt failed or the connection ended, when it did */
  last_error: z.string().optional(),
  /** delay before the next connection attempt, while reconnecting */
  retry_in_ms: z.number().int().nonnegative().optional(),
  counters: bridgeCountersSchema,
  /** the filters the bridge holds in each direction now (configured + followed from adopted discovery configs) */
  filters: z.looseObject({ in: z.array(z.string()), out: z.array(z.string()) }),
});
