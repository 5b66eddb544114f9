import { describe, expect, it } from 'vitest';
import { nativeBackend } from './nativeDecoder.js';
import { pocketsphinxLoads } from './pocketsphinxLib.js';
import { decoderSuite } from './testing/decoderSuite.js';

/**
 * The native backend runs the decoder contract where the system library loads. CI installs it
 * (build/setup.sh), so there a missing library fails instead of skipping; with the system's
 * pocketsphinx hidden on purpose (ALICIA_STT_SYSTEM_HIDDEN, build/pocketsphinx-wasm/without-system.sh)
 * the backend must refuse to open with STT_ENGINE_MISSING.
 */
const hidden = process.env.ALICIA_STT_SYSTEM_HIDDEN === '1';
const loads = pocketsphinxLoads();

if (hidden) {
  describe('native backend with the system pocketsphinx hidden', () => {
    it('refuses to open with STT_ENGINE_MISSING', async () => {
      expect(loads).toBe(false);
      await expect(nativeBackend.open(['-hmm', '/x'], 'x')).rejects.toMatchObject({ code: 'STT_ENGINE_MISSING' });
    });
  });
} else {
  describe('native backend availability', () => {
    it.runIf(process.env.CI)('the system library loads on CI (build/setup.sh installs libpocketsphinx3)', () => {
      expect(loads).toBe(true);
    });
  });
  if (loads) decoderSuite('system libpocketsphinx through koffi', () => nativeBackend);
}
