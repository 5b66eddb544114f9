import type { DeviceCommand } from '../protocol/deviceActions.js';
import type { DeviceInfo } from './deviceRegistry.js';
import type { DeviceRegistry } from './deviceRegistry.js';

/** Conversation context kept per session by the voice router and passed back with each request. */
export interface ConversationContext {
  last_device_id?: string;
  last_intent?: string;
  last_room?: string;
}

export type SlotPrimitive = string | number | boolean | null;

export interface IntentResult {
  understood: boolean;
  intent: { name: string; slots: Record<string, SlotPrimitive> };
  commands: DeviceCommand[];
  response_text: string;
  /** for questions: which device state field answers it; response_text holds {value} for the router to fill */
  query?: { device_id: string; field: string };
  context: ConversationContext;
}

/** Slots after resolution: the device object rather than its id. */
export interface ResolvedSlots {
  device?: DeviceInfo;
  room?: string;
  number?: number;
  mode?: string;
}

export interface BuildEnv {
  registry: DeviceRegistry;
  context: ConversationContext;
  now: Date;
}

/** What a template's builder decides: a result, or a reason this reading does not apply. */
export type BuildOutcome =
  | {
      ok: true;
      name: string;
      slots?: Record<string, SlotPrimitive>;
      commands: DeviceCommand[];
      response: string;
      query?: { device_id: string; field: string };
      device?: DeviceInfo;
      room?: string;
    }
  | { ok: false; reason: string };

export interface IntentTemplate {
  /** intent family, for grammar grouping and accuracy reports */
  intent: string;
  template: string;
  build: (slots: ResolvedSlots, env: BuildEnv) => BuildOutcome;
}
