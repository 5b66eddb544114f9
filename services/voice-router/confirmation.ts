import type { MessageOf } from '../lib/protocol/topics.js';

type AiReply = MessageOf<'alicia/ai/response'>;
export type DeviceCommand = AiReply['commands'][number];

/** A risky command waiting for yes or no ("Unlock the front door?"). */
export interface PendingConfirm {
  question: string;
  /** what the ai understood, carried out on yes */
  understood: AiReply;
  /** what was said or typed, as the transcription of the session that asked */
  text: string;
  expiresAt: number;
}

/** Actions that always ask first, whatever the device: opening a lock. */
const RISKY_ACTIONS = new Set(['unlock']);

/**
 * Whether a command needs a yes first: unlocking, or a device the user marked `confirm` in the
 * registry (a garage door opener, a heater). `marked` reads the device's flag from its retained status.
 */
export function needsConfirm(commands: readonly DeviceCommand[], marked: (deviceId: string) => boolean): boolean {
  return commands.some((c) => RISKY_ACTIONS.has(c.action) || marked(c.device_id));
}

/**
 * The question repeats what was heard ("Unlock the front door?"): the user confirms the words the
 * recogniser chose, so a misheard command is caught before it acts.
 */
export function questionFor(text: string): string {
  const t = text.trim().replace(/[.?!]+$/, '');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}?`;
}

/** The intents (services/lib/language/intents.ts) that answer a pending question. */
export function answerOf(intentName: string | undefined): 'yes' | 'no' | null {
  if (intentName === 'confirm') return 'yes';
  if (intentName === 'deny') return 'no';
  return null;
}
