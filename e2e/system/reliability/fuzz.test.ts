import { describe, expect, it } from 'vitest';
import { checkEnvelope } from '../../../services/lib/protocol/envelope.js';
import { ERROR_CODES } from '../../../services/lib/protocol/errors.js';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { TOPICS, type RequestTopic } from '../../../services/lib/protocol/topics.js';
import { FUZZ_TOPICS, FuzzGenerator, type FuzzCase, type FuzzTopic } from './fuzzCases.js';
import { type Host, sleep, type Answer } from '../../support/host.js';
import { pidAlive } from '../../../electron/host/supervisor/launcher.js';
import { useRunningHost } from '../../support/runningHost.js';

/**
 * The fuzzer of docs/reliability.md "Hostile and malformed input": 10,000 seeded malformed payloads across every request topic, sent at ~1,000/s
 * through the real headless host (broker, supervisor, recorder and the seven service processes),
 * with valid requests interleaved. Proves: zero process crashes/restarts, every malformed request
 * answered exactly once on its error topic with a stable code, valid traffic served meanwhile.
 *
 * FUZZ_SEED / FUZZ_COUNT env vars replay or scale a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed7);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
/** cases per 10 ms tick: at most ~1,200 msg/s, which a 2-core CI box sustains */
const PER_TICK = 12;
/**
 * Unanswered requests allowed in flight: a bounded publisher, so the backlog never exceeds the
 * runtime's 30 s stale-request limit on a busy 2-core box (a request older than that is dropped on
 * purpose: its caller has given up). Valid requests queue behind at most this many malformed ones.
 */
const WINDOW = 300;
const VALID_EVERY = 100;

const CODES = new Set<string>(ERROR_CODES);

/** The valid requests interleaved with the fuzz (each must get a normal, ok answer). */
const VALID: { topic: RequestTopic; body: (i: number) => Record<string, unknown> }[] = [
  { topic: 'alicia/device/command', body: (i) => ({ device_id: 'kitchen_light', action: i % 2 ? 'turn_on' : 'turn_off', params: {} }) },
  { topic: 'alicia/ai/request', body: () => ({ text: 'turn on the bedroom lamp' }) },
  { topic: 'alicia/device/registry/request', body: () => ({ action: 'list' }) },
  { topic: 'alicia/system/recorder/request', body: () => ({ query: 'stats' }) },
  { topic: 'alicia/voice/command', body: (i) => ({ session_id: `valid-${i}`, text: 'turn off the living room light', speak: false }) },
  { topic: 'alicia/voice/tts/request', body: () => ({ text: 'ok' }) },
];

let host: Host;
useRunningHost((h) => (host = h), 'FUZZ_KEEP');

function requestTopicOf(answerTopic: string): FuzzTopic | undefined {
  return FUZZ_TOPICS.find((t) => {
    const d = TOPICS[t] as { reply?: string; error?: string };
    return d.reply === answerTopic || d.error === answerTopic;
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const okId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 128;

/** The id an answer can echo (as the services read it), or null when the payload has none readable. */
function readableId(c: FuzzCase): string | null {
  try {
    const o = JSON.parse(strictUtf8.decode(c.payload)) as unknown;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
    const r = o as Record<string, unknown>;
    if (okId(r.correlation_id)) return r.correlation_id;
    // the supervisor echoes correlation_id only; the runtime and recorder fall back to the id
    if (c.topic !== 'alicia/system/supervisor/request' && okId(r.id)) return r.id;
    return null;
  } catch {
    return null;
  }
}

describe('fuzzer: malformed requests on every request topic', () => {
  it(`${COUNT} malformed payloads: no crash, each answered once with a code, valid traffic served`, async () => {
    const gen = new FuzzGenerator(SEED);
    const byId = new Map<string, FuzzCase>();
    const all: FuzzCase[] = [];
    const sentPerTopic = new Map<FuzzTopic, number>();
    const kindsPerTopic = new Map<string, number>();
    const valid = new Map<string, RequestTopic>();
    const pidsBefore = new Map([...host.states].map(([k, v]) => [k, v.pid]));
    const t0 = Date.now();
    let bytes = 0;

    let answeredSoFar = 0;
    let lastCount = 0;
    const answeredNow = () => {
      // incremental count of answers on the fuzz topics' answer topics (cheap: new answers only)
      for (; lastCount < host.answers.length; lastCount++) if (requestTopicOf(host.answers[lastCount]!.topic)) answeredSoFar++;
      return answeredSoFar;
    };
    let stalledSince = 0;
    for (let i = 0; i < COUNT;) {
      if (i - (answeredNow() - valid.size) > WINDOW) {
        // answers stopped coming: stop sending, the checks below say what is missing
        stalledSince ||= Date.now();
        if (Date.now() - stalledSince > 30_000) break;
        await sleep(5);
        continue;
      }
      stalledSince = 0;
      for (let k = 0; k < PER_TICK && i < COUNT; k++, i++) {
        const c = gen.next();
        for (const id of c.ids) byId.set(id, c);
        all.push(c);
        sentPerTopic.set(c.topic, (sentPerTopic.get(c.topic) ?? 0) + 1);
        kindsPerTopic.set(c.kind, (kindsPerTopic.get(c.kind) ?? 0) + 1);
        bytes += c.payload.length;
        host.op.publish(c.topic, c.payload, { qos: 1 });
        if (i % VALID_EVERY === 0) {
          const v = VALID[(i / VALID_EVERY) % VALID.length]!;
          valid.set(host.send(v.topic, v.body(i)), v.topic);
        }
      }
      await sleep(10);
    }
    const sendMs = Date.now() - t0;

    // Collect: every fuzz case answered (by correlation id, or anonymously when the payload had no
    // readable ids) and every valid request answered; stop when complete or after 20 s of silence.
    const tally = () => {
      const matched = new Map<number, Answer[]>();
      const anon = new Map<FuzzTopic, Answer[]>();
      for (const a of host.answers) {
        const rt = requestTopicOf(a.topic);
        if (!rt) continue;
        const c = a.correlation_id ? byId.get(a.correlation_id) : undefined;
        if (c) {
          const l = matched.get(c.n) ?? [];
          l.push(a);
          matched.set(c.n, l);
        } else if (!a.correlation_id) {
          const l = anon.get(rt) ?? [];
          l.push(a);
          anon.set(rt, l);
        }
      }
      let anonCount = 0;
      for (const l of anon.values()) anonCount += l.length;
      const validAnswered = [...valid.keys()].filter((id) => host.byCorrelation.has(id)).length;
      return { matched, anon, answered: matched.size + anonCount, validAnswered };
    };
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const t = tally();
      if (t.answered >= COUNT && t.validAnswered === valid.size) break;
      if (t.answered + t.validAnswered !== last) {
        last = t.answered + t.validAnswered;
        lastChange = Date.now();
      }
      if (Date.now() - lastChange > 20_000) break;
      await sleep(200);
    }
    const totalMs = Date.now() - t0;
    const { matched, anon } = tally();

    // --- per topic figures
    const rows: string[] = [];
    const problems: string[] = [];
    const codes = new Map<string, number>();
    let okReplies = 0;
    for (const topic of FUZZ_TOPICS) {
      const cases = all.filter((c) => c.topic === topic);
      const sent = sentPerTopic.get(topic) ?? 0;
      const m = [...matched.entries()].filter(([n]) => all[n]!.topic === topic);
      const an = anon.get(topic) ?? [];
      let ok = 0;
      let err = 0;
      for (const [n, list] of m) {
        if (list.length > 1) {
          const c = all[n]!;
          problems.push(
            `${topic} case ${n} (${c.kind}) answered ${list.length} times: ${c.payload.subarray(0, 300).toString()} / answers ${list
              .slice(0, 3)
              .map((a) => JSON.stringify(a.body).slice(0, 300))
              .join(' | ')}`,
          );
        }
        const a = list[0]!;
        if (a.ok === true) {
          ok++;
          const c = all[n]!;
          if (!c.mayBeValid) problems.push(`${topic} case ${n} (${c.kind}) got a normal reply: ${JSON.stringify(a.body).slice(0, 200)}`);
        } else err++;
      }
      for (const a of [...m.flatMap(([, l]) => l), ...an]) {
        if (a.ok === true) continue;
        if (!a.code || !CODES.has(a.code)) problems.push(`${topic}: answer without a known code: ${JSON.stringify(a.body).slice(0, 200)}`);
        else codes.set(a.code, (codes.get(a.code) ?? 0) + 1);
      }
      for (const a of an) if (a.ok === true) problems.push(`${topic}: a normal reply without correlation id`);
      err += an.length;
      okReplies += ok;
      const answered = m.length + an.length;
      if (answered !== sent) {
        const missing = cases.filter((c) => !matched.has(c.n) && readableId(c) !== null);
        const anonExpected = cases.filter((c) => readableId(c) === null).length;
        const byKind = new Map<string, number>();
        for (const c of missing) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
        problems.push(
          `${topic}: sent ${sent}, answered ${answered}; anonymous ${an.length} of ${anonExpected} expected; unanswered with ids by kind: ${JSON.stringify(Object.fromEntries(byKind))} e.g. ${missing[0]?.payload.subarray(0, 200).toString()}`,
        );
      }
      rows.push(
        `${topic.padEnd(34)} sent ${String(sent).padStart(5)}  answered ${String(answered).padStart(5)}  errors ${String(err).padStart(5)}  ok ${String(ok).padStart(3)}`,
      );
    }

    // --- every answer is itself a valid message (a receiver could decode and correlate it)
    let badEnvelopes = 0;
    for (const a of host.answers) {
      if (!requestTopicOf(a.topic)) continue;
      try {
        if (!a.body) throw new Error('not JSON');
        checkEnvelope({ ...a.body }, { fillMissing: false });
      } catch (e) {
        if (badEnvelopes++ < 5)
          problems.push(
            `${a.topic}: answer with an invalid envelope (${(e as Error).message.slice(0, 120)}): correlation_id ${JSON.stringify(a.correlation_id?.slice(0, 40))}${(a.correlation_id?.length ?? 0) > 40 ? '...' : ''}`,
          );
      }
    }
    if (badEnvelopes > 5) problems.push(`... ${badEnvelopes} answers with an invalid envelope in all`);

    // --- valid traffic
    const validFailed: string[] = [];
    for (const [id, topic] of valid) {
      const a = host.byCorrelation.get(id);
      if (!a) validFailed.push(`${topic}: no answer`);
      else if (a.length > 1) validFailed.push(`${topic}: answered ${a.length} times`);
      else if (a[0]!.ok !== true) validFailed.push(`${topic}: ${a[0]!.code} ${JSON.stringify(a[0]!.body?.error)}`);
    }

    // --- crashes: every service still running, same pid, no restart; the host alive
    const crashes = host.stateLog.filter((s) => s.state === 'crashed' || s.state === 'failed').length;
    const restarted = SERVICE_NAMES.filter((n) => host.states.get(n)?.pid !== pidsBefore.get(n) || (host.states.get(n)?.restarts ?? 0) > 0);

    process.stdout.write(
      [
        `fuzz seed ${SEED}: ${COUNT} malformed payloads (${(bytes / 1048576).toFixed(1)} MiB) sent in ${sendMs} ms (${Math.round((COUNT * 1000) / sendMs)}/s), all answers in ${totalMs} ms`,
        ...rows,
        `kinds: ${JSON.stringify(Object.fromEntries(kindsPerTopic))}`,
        `error codes: ${JSON.stringify(Object.fromEntries(codes))}`,
        `normal replies to (possibly valid) mutations: ${okReplies}; valid interleaved: ${valid.size} sent, ${valid.size - validFailed.length} ok`,
        `crashes ${crashes}, restarted services ${restarted.length}, host alive ${pidAlive(host.pid)}`,
        ...problems.slice(0, 30),
        ...validFailed.slice(0, 10),
      ].join('\n') + '\n',
    );

    expect(problems).toEqual([]);
    expect(validFailed).toEqual([]);
    expect(crashes).toBe(0);
    expect(restarted).toEqual([]);
    expect(pidAlive(host.pid)).toBe(true);
  }, 170_000);
});
