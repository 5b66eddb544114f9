import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import { nextMessage, operatorClient } from '../support/bus.js';
import { ROOT as REPO_ROOT, startHost, type HostProcess } from '../support/host.js';
import { startNodeProcess, type NodeProcess } from '../support/serviceNode.js';

/**
 * The Services view with a service node (`alicia node`, a second supervisor in its own process,
 * running stt beside the host's): the node's services are grouped under it, and Restart on its row
 * restarts the node's stt, not the host's.
 */
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });
const NODE = 'node-b';
const ID = `stt@${NODE}`;

let host: HostProcess;
let node: NodeProcess;
test.beforeAll(async () => {
  test.setTimeout(180_000);
  host = await startHost();
  node = await startNodeProcess({ hostDataDir: host.dataDir, brokerUrl: host.runtime.mqtt.url, name: NODE, services: ['stt'] });
});
test.afterAll(async () => {
  await node?.stop();
  await host?.stop();
});

interface NodeRecord {
  services: { service: string; state: string; pid: number | null }[];
}

test("the node's stt is grouped under the node, and its Restart restarts the node's, not the host's", async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  const bus = await operatorClient(host.runtime);
  try {
    const hostStt = (await nextMessage(bus, 'alicia/system/services/stt', (s) => s.state === 'running', 60_000)) as { pid: number };
    const first = (await nextMessage(
      bus,
      `alicia/system/nodes/${NODE}`,
      (r) => (r as unknown as NodeRecord).services[0]?.state === 'running',
      60_000,
    )) as unknown as NodeRecord;
    const nodePid = first.services[0]!.pid!;

    await openApp(page, host.runtime, 'services');
    await expect(page.getByTestId('node-this host')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId(`node-node ${NODE}`)).toBeVisible();
    await expect(page.getByTestId(`state-${ID}`)).toHaveText('running', { timeout: 30_000 });
    await expect(page.getByTestId(`pid-${ID}`)).toHaveText(`pid ${nodePid}`);
    await expect(page.getByTestId('pid-stt')).toHaveText(`pid ${hostStt.pid}`);
    // the node's row comes after the node's heading, the host's stt before it
    const order = await page.locator('.services-table tbody tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-testid')));
    expect(order.indexOf('service-stt')).toBeLessThan(order.indexOf(`node-node ${NODE}`));
    expect(order.indexOf(`node-node ${NODE}`)).toBeLessThan(order.indexOf(`service-${ID}`));
    await page.screenshot({ path: join(OUT, 'services-node.png') });
    // the grouped table as shown: nothing serious or critical for axe-core
    const axe = await new AxeBuilder({ page }).analyze();
    const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    expect(bad).toEqual([]);

    const restarted = nextMessage(
      bus,
      `alicia/system/nodes/${NODE}`,
      (r) => {
        const s = (r as unknown as NodeRecord).services[0];
        return s?.state === 'running' && s.pid !== nodePid;
      },
      60_000,
    );
    await page.getByTestId(`restart-${ID}`).click();
    await expect(page.getByTestId(`answer-${ID}`)).toContainText('restart: running', { timeout: 60_000 });
    const after = (await restarted) as unknown as NodeRecord;
    await expect(page.getByTestId(`pid-${ID}`)).toHaveText(`pid ${after.services[0]!.pid}`);
    // the host's stt was not touched
    await expect(page.getByTestId('pid-stt')).toHaveText(`pid ${hostStt.pid}`);
    expect(errors).toEqual([]);
  } finally {
    await bus.endAsync();
  }
});
