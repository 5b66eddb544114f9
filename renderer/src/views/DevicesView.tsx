import { useEffect, useMemo, useRef, useState } from 'react';
import { TRAITS } from '../../../services/lib/protocol/device.js';
import { DEFAULT_THERMOSTAT_LIMITS, PERCENT } from '../../../services/lib/protocol/deviceActions.js';
import type { DeviceActionName } from '../../../services/lib/protocol/deviceActions.js';
import { clearRemoval, deviceCommand, openEdit, removeDevice } from '../actions/deviceActions.js';
import { useNow } from '../components/useNow.js';
import { formatDuration, formatReading } from '../model/format.js';
import { useDevices } from '../stores/devicesStore.js';
import type { DeviceStatus } from '../stores/devicesStore.js';
import { AddDeviceForm } from './devices/AddDeviceForm.js';
import { DeviceCredentialsPanel } from './devices/DeviceCredentialsPanel.js';
import { DeviceEditForm } from './devices/DeviceEditForm.js';
import { Padlock } from './devices/icons.js';
import { PercentSlider, SetpointControl } from './devices/LevelControls.js';
import './DevicesView.css';

/** Thermostat modes when the device does not list its own (the device manager's defaults). */
const DEFAULT_MODES = DEFAULT_THERMOSTAT_LIMITS.modes;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function can(d: DeviceStatus, action: DeviceActionName): boolean {
  // Older device managers do not list actions: fall back to what the kind implies.
  return d.actions ? d.actions.includes(action) : true;
}

function Controls({ d }: { d: DeviceStatus }) {
  const s = d.state;
  const id = d.device_id;
  const busy = useDevices((st) => st.commands[id]?.pending === true);
  // Offline disables the controls. A command in flight only makes the buttons ignore presses
  // (aria-disabled): a disabled control drops the keyboard focus of whoever just pressed it.
  const off = !d.online;
  const press = (f: () => Promise<void>) => () => {
    if (!off && !busy) void f();
  };
  switch (d.kind) {
    case 'light':
    case 'switch': {
      const on = s.on === true;
      return (
        <div className="controls">
          <button
            className={`toggle ${on ? 'on' : ''}`}
            role="switch"
            aria-checked={on}
            disabled={off}
            aria-disabled={busy || undefined}
            onClick={press(() => deviceCommand(id, on ? 'turn_off' : 'turn_on'))}
            data-testid={`toggle-${id}`}
          >
            <span className="knob" />
            {on ? 'On' : 'Off'}
          </button>
          {can(d, 'set_brightness') && d.traits.includes(TRAITS.brightness) && (
            // 0 % is off (set_brightness 0 turns the light off), so an off light shows 0
            <PercentSlider
              device={d}
              action="set_brightness"
              value={on ? (num(s.brightness) ?? 0) : 0}
              min={PERCENT.min}
              max={PERCENT.max}
              label="Brightness"
              disabled={off}
              testId={`brightness-${id}`}
            />
          )}
        </div>
      );
    }
    case 'thermostat':
    case 'climate': {
      const mode = typeof s.mode === 'string' ? s.mode : 'off';
      const modes = [...new Set([...(d.limits?.modes ?? DEFAULT_MODES), mode])];
      return (
        <div className="controls">
          <SetpointControl device={d} disabled={off} />
          <div className="seg">
            {modes.map((m) => (
              <button
                key={m}
                className={m === mode ? 'on' : ''}
                disabled={off}
                aria-disabled={busy || undefined}
                aria-pressed={m === mode}
                onClick={press(() => deviceCommand(id, 'set_mode', { mode: m }))}
              >
                {m}
              </button>
            ))}
          </div>
        </div>
      );
    }
    case 'lock': {
      const locked = s.locked === true;
      return (
        <div className="controls">
          <button
            className={`toggle ${locked ? 'on' : 'open'}`}
            role="switch"
            aria-checked={locked}
            disabled={off}
            aria-disabled={busy || undefined}
            onClick={press(() => deviceCommand(id, locked ? 'unlock' : 'lock'))}
            data-testid={`toggle-${id}`}
          >
            <span className="knob" />
            {locked ? 'Locked' : 'Unlocked'}
          </button>
        </div>
      );
    }
    case 'speaker': {
      const playing = s.playing === true;
      return (
        <div className="controls">
          <button
            disabled={off}
            aria-disabled={busy || undefined}
            onClick={press(() => deviceCommand(id, playing ? 'pause' : 'play'))}
            data-testid={`toggle-${id}`}
          >
            {playing ? '❚❚ Pause' : '▶ Play'}
          </button>
          <PercentSlider
            device={d}
            action="set_volume"
            value={num(s.volume) ?? 0}
            min={PERCENT.min}
            max={PERCENT.max}
            label="Volume"
            disabled={off}
            testId={`volume-${id}`}
          />
        </div>
      );
    }
    default:
      return (
        <dl className="kv readings">
          {Object.entries(s).map(([k, v]) => (
            <div key={k} className="kvrow">
              <dt>{k}</dt>
              <dd className="num">{formatReading(v)}</dd>
            </div>
          ))}
        </dl>
      );
  }
}

/** The group of adopted devices the user has not given a room yet. */
const NO_ROOM_ADOPTED = 'No room yet · Home Assistant';

function summary(d: DeviceStatus): string {
  const s = d.state;
  switch (d.kind) {
    case 'light':
    case 'switch':
      return s.on === true
        ? typeof s.brightness === 'number' && d.traits.includes(TRAITS.brightness)
          ? `on · ${s.brightness}%`
          : 'on'
        : 'off';
    case 'lock':
      return s.locked === true ? 'locked' : 'unlocked';
    case 'speaker':
      return s.playing === true ? 'playing' : 'paused';
    case 'thermostat':
    case 'climate':
      return `${typeof s.mode === 'string' ? s.mode : '—'} · ${typeof s.target === 'number' ? s.target : '—'}°`;
    default:
      return '';
  }
}

/** "set_brightness" -> "set brightness" */
const words = (action: string): string => action.replace(/_/g, ' ');

/** The card's footer: command progress or failure, the last update, Edit, and Remove with a confirm step. */
function CardFooter({ d, now, onEdit }: { d: DeviceStatus; now: number; onEdit: () => void }) {
  const id = d.device_id;
  const cmd = useDevices((st) => st.commands[id]);
  const removal = useDevices((st) => st.removals[id]);
  const [confirm, setConfirm] = useState(false);
  if (removal?.pending) return <span className="busy-text">removing…</span>;
  if (removal?.error) {
    return (
      <div className="card-foot">
        <span className="bad grow" data-testid={`remove-error-${id}`}>
          not removed · {removal.error.code}: {removal.error.message}
        </span>
        <button type="button" className="ghost small" onClick={() => clearRemoval(id)}>
          OK
        </button>
      </div>
    );
  }
  if (confirm) {
    return (
      <div className="card-foot confirm" role="group" aria-label={`remove ${d.name}`}>
        <span className="grow">Remove it?</span>
        <button
          type="button"
          className="danger"
          onClick={() => {
            setConfirm(false);
            void removeDevice(id);
          }}
          data-testid={`remove-confirm-${id}`}
        >
          Remove
        </button>
        <button type="button" onClick={() => setConfirm(false)} autoFocus>
          Cancel
        </button>
      </div>
    );
  }
  const updated = `updated ${formatDuration(Math.max(0, now - d.updated_at))} ago`;
  return (
    <>
      {!cmd?.pending && cmd?.error && (
        <div className="card-error bad" role="status" data-testid={`device-error-${id}`}>
          {words(cmd.action)} failed: {cmd.error.message}
          <div className="mono code">{cmd.error.code}</div>
        </div>
      )}
      <div className="card-foot">
        <span className="grow status-line" title={updated}>
          {cmd?.pending ? <span className="busy-text">{words(cmd.action)}…</span> : <span className="muted">{updated}</span>}
        </span>
        <button
          type="button"
          className="ghost"
          onClick={onEdit}
          title={`Name, room and other names of ${d.name}`}
          aria-label={`edit ${d.name}`}
          data-testid={`edit-${id}`}
        >
          Edit
        </button>
        <button
          type="button"
          className="ghost remove"
          onClick={() => setConfirm(true)}
          title={`Remove ${d.name} from the registry`}
          aria-label={`remove ${d.name}`}
          data-testid={`remove-${id}`}
        >
          Remove
        </button>
      </div>
    </>
  );
}

/** The state badge: a lock says its state by icon and word, and an unlocked door stands out (warning colour). */
function StateBadge({ d, on }: { d: DeviceStatus; on: boolean }) {
  const text = d.online ? summary(d) || 'online' : 'offline';
  const isLock = d.kind === 'lock' && d.online;
  const locked = d.state.locked === true;
  const tone = !d.online ? 'bad' : isLock ? (locked ? 'ok' : 'warn') : on ? 'ok' : 'muted';
  return (
    <span className={`badge ${tone}`} data-testid={`summary-${d.device_id}`} data-tone={tone}>
      {isLock && <Padlock open={!locked} />}
      {text}
    </span>
  );
}

/**
 * The card whose edit form just closed, to get the focus back on its Edit button: also when the
 * edit moved it to another room, where it is mounted anew once its status arrives.
 */
let returnFocusTo: { id: string; until: number } | null = null;
const RETURN_FOCUS_MS = 3000;

function takeReturnFocus(id: string): boolean {
  const r = returnFocusTo;
  if (r === null || r.id !== id) return false;
  returnFocusTo = null;
  return Date.now() <= r.until;
}

function focusEditButton(id: string): void {
  document.querySelector<HTMLButtonElement>(`[data-testid="edit-${CSS.escape(id)}"]`)?.focus();
}

function Card({ d, now, fresh }: { d: DeviceStatus; now: number; fresh: boolean }) {
  const on = d.state.on === true || d.state.playing === true;
  const unlocked = d.kind === 'lock' && d.online && d.state.locked !== true;
  const ref = useRef<HTMLElement>(null);
  const editing = useDevices((st) => st.edits[d.device_id] !== undefined);
  // A device just added from the form may land in a room below the fold: bring it into view.
  useEffect(() => {
    if (fresh) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [fresh]);
  // A card given another room is a new card in that room's section: the focus follows it there.
  useEffect(() => {
    if (takeReturnFocus(d.device_id)) focusEditButton(d.device_id);
  }, [d.device_id]);
  const stopEditing = () => {
    returnFocusTo = { id: d.device_id, until: Date.now() + RETURN_FOCUS_MS };
    // back to the Edit button the form was opened from (rendered again after this)
    requestAnimationFrame(() => focusEditButton(d.device_id));
  };
  return (
    <article
      ref={ref}
      className={`dcard ${on ? 'lit' : ''} ${unlocked ? 'unlocked' : ''} ${d.online ? '' : 'offline'} ${fresh ? 'fresh' : ''}`}
      data-testid={`device-${d.device_id}`}
      data-state={summary(d)}
    >
      <header>
        <div>
          <div className="dname">{d.name}</div>
          <div className="small muted">
            {d.kind}
            {d.origin !== 'simulated' ? ` · ${d.origin}` : ''} · <span className="mono">{d.device_id}</span>
          </div>
        </div>
        <StateBadge d={d} on={on} />
      </header>
      {editing ? (
        <DeviceEditForm d={d} onClose={stopEditing} />
      ) : (
        <>
          <Controls d={d} />
          <footer className="small">
            <CardFooter d={d} now={now} onEdit={() => openEdit(d.device_id)} />
          </footer>
        </>
      )}
    </article>
  );
}

export function DevicesView() {
  const devices = useDevices((s) => s.devices);
  const now = useNow(5000);
  const rooms = useMemo(() => {
    const m = new Map<string, DeviceStatus[]>();
    for (const d of Object.values(devices)) {
      // adopted devices arrive without a room until the user gives them one (Edit)
      const room = d.room || (d.origin === 'homeassistant' ? NO_ROOM_ADOPTED : 'No room');
      m.set(room, [...(m.get(room) ?? []), d]);
    }
    for (const list of m.values()) list.sort((a, b) => a.name.localeCompare(b.name));
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [devices]);
  const [panel, setPanel] = useState<'add' | 'credentials' | null>(null);
  const [justAdded, setJustAdded] = useState<string | null>(null);
  const credentialCount = useDevices((s) => s.credentials.names?.length);
  const count = Object.keys(devices).length;
  const toggle = (p: 'add' | 'credentials') => setPanel((cur) => (cur === p ? null : p));
  return (
    <div className="view devices-view">
      <div className="devices-toolbar">
        <span className="muted small">
          {count} device{count === 1 ? '' : 's'} · {rooms.length} room{rooms.length === 1 ? '' : 's'}
        </span>
        <div className="buttons">
          <button
            type="button"
            className={panel === 'add' ? 'on' : 'primary'}
            aria-expanded={panel === 'add'}
            onClick={() => toggle('add')}
            data-testid="add-device-open"
          >
            + Add device
          </button>
          <button
            type="button"
            className={panel === 'credentials' ? 'on' : ''}
            aria-expanded={panel === 'credentials'}
            onClick={() => toggle('credentials')}
            data-testid="device-credentials-open"
          >
            Device credentials{credentialCount !== undefined ? ` (${credentialCount})` : ''}
          </button>
        </div>
      </div>
      {panel === 'add' && <AddDeviceForm onClose={() => setPanel(null)} onAdded={setJustAdded} />}
      {panel === 'credentials' && <DeviceCredentialsPanel onClose={() => setPanel(null)} />}
      {rooms.length === 0 && (
        <div className="empty panel pad">No devices yet: the device manager publishes them on alicia/device/status/+ (retained).</div>
      )}
      {rooms.map(([room, list]) => (
        <section key={room} className="room">
          <h2>
            {room} <span className="muted">{list.length}</span>
          </h2>
          {room === NO_ROOM_ADOPTED && (
            <p className="room-hint small muted">Give each a room with Edit: then “turn on the lights in the …” reaches it.</p>
          )}
          <div className="dgrid">
            {list.map((d) => (
              <Card key={d.device_id} d={d} now={now} fresh={d.device_id === justAdded} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
