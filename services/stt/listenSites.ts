import { createHash } from 'node:crypto';
import { toErrorInfo } from '../lib/protocol/errors.js';
import type { MessageOf } from '../lib/protocol/topics.js';
import type { Logger } from '../lib/runtime/logger.js';
import { pcmOf } from './audioStreams.js';
import type { AudioStreams } from './audioStreams.js';
import type { StreamConfig } from './sttConfig.js';
import type { Utterance } from './utterance.js';
import { toMono16k } from '../lib/audio/wav.js';

/**
 * A wake-word detector as stt uses it (the real one: wakeWord.ts). process() takes the next 16 kHz
 * mono audio and says whether the phrase ended in it; endMs is where, on the audio clock counted
 * from start() or the last reset(). One per listening site.
 */
export interface WakeDetector {
  start(): Promise<void>;
  process(pcm16k: Int16Array): Promise<{ woke: boolean; endMs?: number }>;
  reset(): void;
  stop(): Promise<void>;
}
export type WakeDetectorFactory = (opts: { phrase: string; threshold?: number }) => WakeDetector | Promise<WakeDetector>;

type ListenChunk = MessageOf<'alicia/voice/listen/+'>;

export interface ListenSitesDeps {
  streams: AudioStreams;
  config: StreamConfig;
  log: Logger;
  detector: WakeDetectorFactory;
  /** the wake word was heard: announce the session that follows (alicia/voice/event type wake) */
  onWake(siteId: string, sessionId: string, traceId: string): void;
}

/**
 * Hands-free listening: one site per alicia/voice/listen/<site_id>, each with its own wake-word
 * detector. While waiting, every chunk goes to the detector and nowhere else (nothing is kept: the
 * recorder skips these topics too). On a wake, a new session id is announced and the audio after
 * the phrase becomes that session's utterance (AudioStreams, endpointing on, no clipped-start
 * check: speech right after the wake word is expected); when it ends, the site waits for the
 * wake word again. The listen stream is lossy by design (QoS 0): a gap or format change resets the
 * detector (and ends a command in progress), never the site. A site that sends nothing for
 * listen_timeout_ms is closed.
 */
export class ListenSites {
  private readonly sites = new Map<string, Site>();
  private warnedFull = false;

  constructor(private readonly deps: ListenSitesDeps) {}

  get size(): number {
    return this.sites.size;
  }

  onChunk(msg: ListenChunk, topicSite: string): void {
    if (msg.site_id !== topicSite) {
      this.deps.log.warn('listen chunk ignored: its site_id differs from its topic', { topic_site: topicSite, site_id: msg.site_id });
      return;
    }
    let site = this.sites.get(msg.site_id);
    if (!site) {
      if (this.sites.size >= this.deps.config.max_listen_sites) {
        if (!this.warnedFull)
          this.deps.log.warn('listen chunk ignored: too many listening sites', { limit: this.deps.config.max_listen_sites });
        this.warnedFull = true;
        return;
      }
      site = new Site(msg.site_id, this.deps, () => {
        this.sites.delete(msg.site_id);
        this.warnedFull = false;
      });
      this.sites.set(msg.site_id, site);
    }
    site.push(msg);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sites.values()].map((s) => s.close('stt is stopping')));
    this.sites.clear();
  }
}

class Site {
  private nextSeq = 0;
  private format: { rate: number; channels: number } | null = null;
  private readonly detector: Promise<WakeDetector | null>;
  /** 16 kHz samples the detector has seen since its start or last reset */
  private fed = 0;
  private command: Utterance | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly deps: ListenSitesDeps,
    private readonly onClosed: () => void,
  ) {
    const cfg = deps.config;
    this.detector = (async () => {
      try {
        const d = await deps.detector({
          phrase: cfg.wake_phrase,
          ...(cfg.wake_threshold !== undefined ? { threshold: cfg.wake_threshold } : {}),
        });
        await d.start();
        return d;
      } catch (e) {
        deps.log.error('wake-word detector unavailable; this site is not listened to', { site_id: id, ...toErrorInfo(e) });
        return null;
      }
    })();
    this.arm();
  }

  push(msg: ListenChunk): void {
    if (this.closed) return;
    this.arm();
    const gap = msg.seq !== this.nextSeq && this.format !== null;
    const changed = this.format !== null && (this.format.rate !== msg.rate || this.format.channels !== msg.channels);
    this.nextSeq = msg.seq + 1;
    this.format = { rate: msg.rate, channels: msg.channels };
    const mono = toMono16k({ sampleRate: msg.rate, channels: msg.channels, samples: pcmOf(msg.pcm) });
    this.chain = this.chain
      .then(async () => {
        const detector = await this.detector;
        if (!detector || this.closed) return;
        if (gap || changed) {
          this.command?.abort(
            gap ? 'STT_STREAM_GAP' : 'STT_STREAM_FORMAT',
            gap ? 'the listen stream lost audio' : 'the listen stream changed format',
          );
          this.command = null;
          this.resetDetector(detector);
        }
        if (this.command?.open) {
          this.command.push(null, FORMAT_16K, mono, false);
          return;
        }
        if (this.command) {
          // the command after the wake word has ended: wait for the wake word again
          this.command = null;
          this.resetDetector(detector);
        }
        const before = this.fed;
        const r = await detector.process(mono);
        this.fed += mono.length;
        if (r.woke) this.wake(msg.id, mono, r.endMs === undefined ? mono.length : Math.round(r.endMs * 16) - before);
      })
      .catch((e: unknown) => this.deps.log.warn('listen chunk not processed', { site_id: this.id, ...toErrorInfo(e) }));
  }

  /**
   * The session and trace ids of a wake come from the chunk it was heard in, not from chance: every
   * stt instance hears the same listen stream (a plain subscription), so two instances that both hear
   * the phrase announce one session, whose audio both hold, and the voice router runs it once.
   */
  private wake(chunkId: string, mono: Int16Array, phraseEnd: number): void {
    const sessionId = `wake-${this.id}-${digest('session', this.id, chunkId)}`;
    const traceId = digest('trace', this.id, chunkId);
    this.deps.onWake(this.id, sessionId, traceId);
    this.command = this.deps.streams.beginFed(sessionId, traceId, FORMAT_16K) ?? null;
    const rest = mono.subarray(Math.min(mono.length, Math.max(0, phraseEnd)));
    if (rest.length > 0) this.command?.push(null, FORMAT_16K, rest, false);
  }

  private resetDetector(d: WakeDetector): void {
    d.reset();
    this.fed = 0;
  }

  async close(why: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.command?.abort('STT_STREAM_TIMEOUT', why);
    this.onClosed();
    await this.chain;
    const d = await this.detector;
    await d?.stop().catch(() => undefined);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.close(`no listen audio for ${this.deps.config.listen_timeout_ms} ms`);
    }, this.deps.config.listen_timeout_ms);
    this.timer.unref?.();
  }
}

const FORMAT_16K = { rate: 16000, channels: 1, width: 2 } as const;

/** 128 bits of SHA-256 in hex: the same for every instance, one topic level, whatever the chunk's id holds. */
function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
