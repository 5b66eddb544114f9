import { Host, sleep } from '../../dist/e2e/support/host.js';
import { SERVICE_NAMES } from '../../dist/services/lib/protocol/services.js';
import { readFileSync } from 'node:fs';
const rss = (pid) => { try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`,'utf8'))[1]) } catch { return 0 } };
const t0 = Date.now();
const host = await Host.start();
await host.allRunning(90_000);
const wait = Number(process.env.WAIT ?? 15000) - (Date.now() - t0);
if (wait > 0) await sleep(wait);
let tot = rss(host.pid); const row = { host: rss(host.pid) };
for (const n of SERVICE_NAMES) { const r = rss(host.states.get(n)?.pid); row[n] = r; tot += r; }
for (const [k,v] of Object.entries(row)) console.log(k.padEnd(16), (v/1024).toFixed(1));
console.log('total'.padEnd(16), (tot/1024).toFixed(1));
if (process.env.HOLD) { console.log(JSON.stringify(Object.fromEntries(SERVICE_NAMES.map(n=>[n,host.states.get(n)?.pid])))); await sleep(Number(process.env.HOLD)); }
await host.stop();
