import type { MessageOf } from '../../../services/lib/protocol/topics.js';

/**
 * The chart series a health message feeds, by series key ("svc.stt.rate", "broker.in"): one
 * definition for live messages (bus/router.ts) and recorded ones (the Health view's backfill).
 */
export function serviceMetricSamples(m: MessageOf<'alicia/health/status/+'>): [string, number][] {
  return [
    [`svc.${m.service}.rate`, m.in_per_s + m.out_per_s],
    [`svc.${m.service}.p95`, m.handler_latency_ms.p95],
  ];
}

export function brokerSamples(m: MessageOf<'$SYS/alicia/broker/stats'>): [string, number][] {
  return [
    ['broker.in', m.messages_in_per_s],
    ['broker.out', m.messages_out_per_s],
    ['broker.clients', m.clients],
  ];
}
