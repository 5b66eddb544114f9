import { describe, expect, it } from 'vitest';
import { pingreq } from '../testing/rawMqtt.js';
import { useConformance } from './harness.js';

/** MQTT 3.1.1 section 3.12, PINGREQ (statements.ts); PINGRESP has no statements of its own. */
const h = useConformance();

describe('PINGREQ', () => {
  it('[MQTT-3.12.4-1] each PINGREQ is answered by a PINGRESP', async () => {
    const c = await h.client();
    c.send(pingreq(), pingreq(), pingreq());
    for (let i = 0; i < 3; i++) expect(await c.next()).toEqual({ cmd: 'pingresp', flags: 0 });
  });
});
