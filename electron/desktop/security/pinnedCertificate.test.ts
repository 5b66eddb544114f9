import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLanCertificate, type LanCertificate } from '../../host/broker/tls.js';
import { isPinnedCertificate } from './pinnedCertificate.js';

let dir: string;
let ours: LanCertificate;
let other: LanCertificate;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-pin-'));
  await Promise.all([mkdir(join(dir, 'a')), mkdir(join(dir, 'b'))]);
  ours = await loadOrCreateLanCertificate(join(dir, 'a'), { ips: ['127.0.0.2'] });
  other = await loadOrCreateLanCertificate(join(dir, 'b'), { ips: ['127.0.0.2'] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the window trusts the host certificate it pinned', () => {
  it('only that certificate, only at the broker address', () => {
    const pinned = { hostname: '127.0.0.2', fingerprint256: ours.fingerprint256 };
    expect(isPinnedCertificate('127.0.0.2', ours.cert, pinned)).toBe(true);
    // another self-signed certificate for the same address (a machine on the LAN posing as the host)
    expect(isPinnedCertificate('127.0.0.2', other.cert, pinned)).toBe(false);
    // ours, but presented for another host name
    expect(isPinnedCertificate('example.com', ours.cert, pinned)).toBe(false);
    expect(isPinnedCertificate('127.0.0.2', 'not a certificate', pinned)).toBe(false);
    expect(isPinnedCertificate('127.0.0.2', ours.cert, null)).toBe(false);
  });
});
