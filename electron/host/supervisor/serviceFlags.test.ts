import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { runsShared, SERVICE_V8_FLAGS, serviceFlags, SHARED_PROCESS_V8_FLAGS } from './serviceFlags.js';

describe('serviceFlags', () => {
  it('gives every service flags and a module outside the table none', () => {
    for (const n of SERVICE_NAMES) expect(serviceFlags(n).length, n).toBeGreaterThan(0);
    expect(serviceFlags('fixture')).toEqual([]);
  });

  it.each(SERVICE_NAMES)('%s: this Node accepts its flags (a flag it did not know would stop the service from starting)', (name) => {
    const out = execFileSync(process.execPath, [...SERVICE_V8_FLAGS[name], '-e', 'process.stdout.write("up")'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('up');
  });
});

describe('which services share a process', () => {
  it('the light services share; stt, tts and a module outside the table keep their own', () => {
    expect(SERVICE_NAMES.filter(runsShared)).toEqual(['discovery', 'health-monitor', 'device-manager', 'ai', 'voice-router']);
    expect(runsShared('fixture')).toBe(false);
  });

  it('this Node accepts the shared process flags without a word on stderr', () => {
    const r = spawnSync(process.execPath, [...SHARED_PROCESS_V8_FLAGS, '-e', 'process.stdout.write("up")'], { encoding: 'utf8' });
    expect(r.stdout).toBe('up');
    // V8 warns on stderr about conflicting flags (--lite-mode without --no-expose-wasm), which the
    // host log would show at every start of the shared process
    expect(r.stderr).toBe('');
  });
});
