import { describe, expect, it } from 'vitest';
import { byteBudget } from './budget.js';

describe('recorder byte budget', () => {
  it('gives the WAL a tenth of the limit within 256 KiB-16 MiB and the main file the rest less 10 % slack', () => {
    const mib = 1024 * 1024;
    expect(byteBudget(500 * mib)).toEqual({
      walLimit: 16 * mib,
      mainBudget: Math.floor(500 * mib * 0.9) - 16 * mib,
      walAutocheckpointPages: 2048,
      vacuumPages: 256,
      maxBatchBytes: 8 * mib,
    });
    expect(byteBudget(1 * mib).walLimit).toBe(256 * 1024);
  });

  it('keeps a vacuum step within a quarter of the WAL and a batch within 2 % of the limit', () => {
    const b = byteBudget(3 * 1024 * 1024, 256);
    expect(b.walLimit).toBe(314_572);
    expect(b.vacuumPages).toBe(19);
    expect(b.maxBatchBytes).toBe(64 * 1024);
    expect(byteBudget(100 * 1024 * 1024, 8).vacuumPages).toBe(8);
    expect(byteBudget(1024 * 1024).vacuumPages).toBe(16);
  });
});
