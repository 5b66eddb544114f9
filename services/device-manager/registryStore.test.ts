import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../lib/runtime/sqlite.js';
import { RegistryStore } from './registryStore.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('device registry store', () => {
  it('adds the confirm column to a registry made before it, every device unmarked, and keeps a mark across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alicia-registry-'));
    dirs.push(dir);
    const path = join(dir, 'devices.db');
    // the table as the device manager created it before devices could be marked `confirm`
    const old = openDatabase(path);
    old.exec(`CREATE TABLE devices (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, room TEXT NOT NULL DEFAULT '',
      aliases TEXT NOT NULL DEFAULT '[]', traits TEXT NOT NULL DEFAULT '[]', origin TEXT NOT NULL DEFAULT 'simulated',
      config TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    old.prepare("INSERT INTO devices (id, name, kind, created_at, updated_at) VALUES ('front_door', 'front door', 'lock', 1, 1)").run();
    old.close();

    const store = RegistryStore.open(path);
    const door = store.get('front_door');
    expect(door).toMatchObject({ name: 'front door', confirm: false });
    store.update({ ...door!, confirm: true });
    store.close();
    const again = RegistryStore.open(path);
    expect(again.get('front_door')).toMatchObject({ confirm: true });
    again.close();
  });
});
