import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deviceKindSchema } from '../lib/protocol/device.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { openDatabase } from '../lib/runtime/sqlite.js';
import type { DeviceOrigin, DeviceRecord, DeviceState } from './deviceTypes.js';

interface Row {
  id: string;
  name: string;
  kind: string;
  room: string;
  aliases: string;
  traits: string;
  origin: string;
  config: string;
  state: string;
  confirm: number;
  updated_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  room TEXT NOT NULL DEFAULT '',
  aliases TEXT NOT NULL DEFAULT '[]',
  traits TEXT NOT NULL DEFAULT '[]',
  origin TEXT NOT NULL DEFAULT 'simulated',
  config TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT '{}',
  confirm INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Home Assistant discovery topics of adopted devices the user removed: their retained config would
-- otherwise re-adopt them on the next start. An empty config on that topic forgets the entry.
CREATE TABLE IF NOT EXISTS ha_ignored (discovery_topic TEXT PRIMARY KEY, device_id TEXT NOT NULL, at INTEGER NOT NULL);
`;

/**
 * The device registry in SQLite (better-sqlite3, WAL): devices and each device's last state, so
 * both survive restarts. Synchronous by design (better-sqlite3): every call is a few microseconds,
 * far below a bus round trip.
 */
export class RegistryStore {
  private readonly db: Db;
  private readonly stmts: {
    all: Statement<[], Row>;
    get: Statement<[string], Row>;
    insert: Statement<[Row & { created_at: number }]>;
    update: Statement<[Row]>;
    state: Statement<[{ id: string; state: string; updated_at: number }]>;
    remove: Statement<[string]>;
    metaGet: Statement<[string], { value: string }>;
    metaSet: Statement<[string, string]>;
    ignoredGet: Statement<[string], { device_id: string }>;
    ignore: Statement<[string, string, number]>;
    unignore: Statement<[string]>;
  };

  private constructor(db: Db) {
    this.db = db;
    this.stmts = {
      all: db.prepare('SELECT * FROM devices ORDER BY created_at, id'),
      get: db.prepare('SELECT * FROM devices WHERE id = ?'),
      insert: db.prepare(
        'INSERT INTO devices (id, name, kind, room, aliases, traits, origin, config, state, confirm, created_at, updated_at) VALUES (@id, @name, @kind, @room, @aliases, @traits, @origin, @config, @state, @confirm, @created_at, @updated_at)',
      ),
      update: db.prepare(
        'UPDATE devices SET name=@name, kind=@kind, room=@room, aliases=@aliases, traits=@traits, origin=@origin, config=@config, state=@state, confirm=@confirm, updated_at=@updated_at WHERE id=@id',
      ),
      state: db.prepare('UPDATE devices SET state=@state, updated_at=@updated_at WHERE id=@id'),
      remove: db.prepare('DELETE FROM devices WHERE id = ?'),
      metaGet: db.prepare('SELECT value FROM meta WHERE key = ?'),
      metaSet: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      ignoredGet: db.prepare('SELECT device_id FROM ha_ignored WHERE discovery_topic = ?'),
      ignore: db.prepare('INSERT OR REPLACE INTO ha_ignored (discovery_topic, device_id, at) VALUES (?, ?, ?)'),
      unignore: db.prepare('DELETE FROM ha_ignored WHERE discovery_topic = ?'),
    };
  }

  /** Open (and create) the registry at `path`, e.g. `$ALICIA_DATA_DIR/devices.db`. */
  static open(path: string): RegistryStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = openDatabase(path);
    // WAL: readers never block the writer, and a crash loses at most the last transaction.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    db.exec(SCHEMA);
    // registries made before the confirm column: add it (every device starts unmarked)
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(devices)').all();
    if (!columns.some((c) => c.name === 'confirm')) db.exec('ALTER TABLE devices ADD COLUMN confirm INTEGER NOT NULL DEFAULT 0');
    return new RegistryStore(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Seed the default home once: later starts keep whatever the user changed (renames, removals). */
  seedOnce(devices: readonly DeviceRecord[]): boolean {
    return this.db.transaction(() => {
      if (this.stmts.metaGet.get('home_seeded')) return false;
      for (const d of devices) if (!this.stmts.get.get(d.id)) this.stmts.insert.run({ ...toRow(d), created_at: d.updated_at });
      this.stmts.metaSet.run('home_seeded', String(Date.now()));
      return true;
    })();
  }

  list(): DeviceRecord[] {
    return this.stmts.all.all().map(fromRow);
  }

  get(id: string): DeviceRecord | undefined {
    const row = this.stmts.get.get(id);
    return row ? fromRow(row) : undefined;
  }

  /** Throws DEVICE_EXISTS if the id is taken. */
  insert(d: DeviceRecord): void {
    if (this.stmts.get.get(d.id)) throw new AliciaError('DEVICE_EXISTS', `a device with id ${d.id} already exists`);
    this.stmts.insert.run({ ...toRow(d), created_at: d.updated_at });
  }

  /** Replace every column of an existing device. */
  update(d: DeviceRecord): void {
    this.stmts.update.run(toRow(d));
  }

  saveState(id: string, state: DeviceState, updatedAt: number): void {
    this.stmts.state.run({ id, state: JSON.stringify(state), updated_at: updatedAt });
  }

  remove(id: string): boolean {
    return this.stmts.remove.run(id).changes > 0;
  }

  isIgnored(discoveryTopic: string): boolean {
    return this.stmts.ignoredGet.get(discoveryTopic) !== undefined;
  }

  ignore(discoveryTopic: string, deviceId: string): void {
    this.stmts.ignore.run(discoveryTopic, deviceId, Date.now());
  }

  unignore(discoveryTopic: string): void {
    this.stmts.unignore.run(discoveryTopic);
  }
}

function toRow(d: DeviceRecord): Row {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    room: d.room,
    aliases: JSON.stringify(d.aliases),
    traits: JSON.stringify(d.traits),
    origin: d.origin,
    config: JSON.stringify(d.config),
    state: JSON.stringify(d.state),
    confirm: d.confirm === true ? 1 : 0,
    updated_at: d.updated_at,
  };
}

function fromRow(r: Row): DeviceRecord {
  return {
    id: r.id,
    name: r.name,
    // The table is only written through this class, so the kind is one we validated; parse keeps it honest.
    kind: deviceKindSchema.parse(r.kind),
    room: r.room,
    aliases: JSON.parse(r.aliases) as string[],
    traits: JSON.parse(r.traits) as string[],
    origin: r.origin as DeviceOrigin,
    config: JSON.parse(r.config) as Record<string, unknown>,
    state: JSON.parse(r.state) as DeviceState,
    confirm: r.confirm === 1,
    updated_at: r.updated_at,
  };
}
