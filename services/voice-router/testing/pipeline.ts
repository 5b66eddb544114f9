import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import type { BusService, ConnectionOptions } from '../../lib/runtime/busService.js';
import type { ServiceName } from '../../lib/protocol/services.js';
import { DeviceManager } from '../../device-manager/deviceManager.js';
import { TtsService } from '../../tts/ttsService.js';
import { SttService } from '../../stt/sttService.js';
import type { SttServiceOptions } from '../../stt/sttService.js';
import { AiService } from '../../ai/aiService.js';
import { VoiceRouter } from '../voiceRouter.js';
import { OperatorClient } from './operatorClient.js';
import type { Received } from './operatorClient.js';

export type Downstream = 'device-manager' | 'tts' | 'ai' | 'stt';

export interface PipelineOptions {
  routerConfig?: unknown;
  /** which real downstream services to run (default: all) */
  services?: Downstream[];
  /** options of the stt service (config, a wake-word detector) */
  stt?: Omit<SttServiceOptions, 'connection'>;
}

/**
 * The whole voice pipeline in one process for tests and benchmarks: a real Alicia broker (auth +
 * ACL), the real services, each with its own credentials, and an operator client that sends voice
 * commands and records every message on alicia/#.
 */
export class Pipeline {
  readonly running = new Map<Downstream, BusService>();
  private constructor(
    readonly broker: TestBroker,
    readonly op: OperatorClient,
    readonly router: VoiceRouter,
    readonly dataDir: string,
    private readonly sttOptions: Omit<SttServiceOptions, 'connection'>,
  ) {}

  static async start(opts: PipelineOptions = {}): Promise<Pipeline> {
    const broker = await startTestBroker();
    const dataDir = await mkdtemp(join(tmpdir(), 'alicia-voice-test-'));
    const op = await OperatorClient.connect(broker.url, broker.credentials.operator);
    await op.subscribe('alicia/#');
    const router = new VoiceRouter({ connection: connectionFor(broker, 'voice-router'), config: opts.routerConfig });
    const p = new Pipeline(broker, op, router, dataDir, opts.stt ?? {});
    try {
      for (const s of opts.services ?? (['device-manager', 'tts', 'ai', 'stt'] as const)) await p.startService(s);
      await router.start();
      // the router's device state comes from retained status messages: wait until it has the home
      if (p.running.has('device-manager'))
        await waitUntil(() => router.knownDevice('kitchen_light') !== undefined, 10_000, 'the router to learn the devices');
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  async startService(name: Downstream): Promise<BusService> {
    const connection = connectionFor(this.broker, name);
    let svc: BusService;
    switch (name) {
      case 'device-manager':
        // sensors publish readings rarely: tests look at commanded state, not drifting readings
        svc = new DeviceManager({ connection, dataDir: this.dataDir, config: { sensor_interval_ms: 3_600_000 } });
        break;
      case 'tts':
        svc = new TtsService({ connection });
        break;
      case 'stt':
        svc = new SttService({ ...this.sttOptions, connection });
        break;
      case 'ai':
        svc = new AiService({ connection });
        break;
    }
    await svc.start();
    this.running.set(name, svc);
    if (svc instanceof SttService && this.running.has('device-manager')) {
      // the grammar is built from the device names it learns from retained statuses
      await waitUntil(() => svc.registry.size >= 7, 10_000, 'stt to learn the devices');
      await svc.grammarSettled();
    }
    if (svc instanceof AiService && this.running.has('device-manager')) {
      await waitUntil(() => svc.registry.size >= 7, 10_000, 'ai to learn the devices');
    }
    return svc;
  }

  async stopService(name: Downstream): Promise<void> {
    const svc = this.running.get(name);
    this.running.delete(name);
    await svc?.stop();
  }

  /** Send a voice command as the operator and wait for its result (matched by correlation id). */
  async command(
    body: Record<string, unknown>,
    timeoutMs = 20_000,
  ): Promise<{ result: Record<string, unknown>; trace_id: string; sentAt: number; at: number }> {
    const sentAt = performance.now();
    const ids = await this.op.send(
      'alicia/voice/command',
      body,
      typeof body.session_id === 'string' ? { session_id: body.session_id } : {},
    );
    const r = await this.op.reply(ids.correlation_id, timeoutMs);
    return { result: r.msg, trace_id: ids.trace_id, sentAt, at: r.at };
  }

  /** Every message of one trace, in arrival order. */
  trace(traceId: string): Received[] {
    return this.op.received.filter((r) => r.msg.trace_id === traceId);
  }

  /** The latest retained state of a device as seen on the bus. */
  deviceState(deviceId: string): Record<string, unknown> | undefined {
    return this.router.knownDevice(deviceId)?.state;
  }

  async stop(): Promise<void> {
    await this.router.stop().catch(() => undefined);
    for (const name of [...this.running.keys()].reverse()) await this.stopService(name).catch(() => undefined);
    await this.op.close().catch(() => undefined);
    await this.broker.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export function connectionFor(broker: TestBroker, name: ServiceName): ConnectionOptions {
  const c = broker.credentials[name];
  return { url: broker.url, username: c.username, password: c.password };
}

export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
