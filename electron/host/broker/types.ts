import type { AnyPrincipal } from '../../../services/lib/protocol/services.js';

/** One message as it crossed the broker. */
export interface BusPacket {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** the publishing MQTT client id; null for messages published in-process by the host */
  clientId: string | null;
  /** the authenticated principal of that client (service name, operator, window); null in-process */
  principal: AnyPrincipal | null;
  /** Date.now() when the broker accepted it */
  time: number;
}

/**
 * What the host's in-process parts (recorder, supervisor) get from the broker: they sit beside it,
 * not behind a network client. Listeners are called synchronously on the publish path, so they
 * must only enqueue (the recorder batches off this path).
 */
export interface InProcessBus {
  /** every message the broker accepts (after auth/ACL), including retained ones and in-process ones */
  onPublish(listener: (packet: BusPacket) => void): () => void;
  /** publish as the host itself (no ACL); resolves when the broker has taken it */
  publish(topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** subscribe in-process; returns an unsubscribe function */
  subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>>;
}

export interface Credential {
  username: string;
  password: string;
}

export interface BrokerAddresses {
  /** mqtt://127.0.0.1:1883 */
  mqttUrl: string;
  /** ws://127.0.0.1:PORT/mqtt */
  wsUrl: string;
}
