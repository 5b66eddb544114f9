import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { SERVICE_V8_FLAGS, serviceFlags } from './serviceFlags.js';

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
