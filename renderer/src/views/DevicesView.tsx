import { useEffect, useMemo, useRef, useState } from 'react';
import { TRAITS } from '../../../services/lib/protocol/device.js';
import { DEFAULT_THERMOSTAT_LIMITS, MIN_LIT_BRIGHTNESS, PERCENT } from '../../../services/lib/protocol/deviceActions.js';
import type { DeviceActionName } from '../../../services/lib/protocol/deviceActions.js';
import { clearRemoval, deviceCommand, removeDevice, setAskFirst } from '../actions/deviceActions.js';
import { useNow } from '../components/useNow.js';
import { formatDuration, formatReading } from '../model/format.js';
import { useDevices } from '../stores/devicesStore.js';
import type { DeviceStatus } from '../stores/devicesStore.js';
import { AddDeviceForm } from './devices/AddDeviceForm.js';
import { DeviceCredentialsPanel } from './devices/DeviceCredentialsPanel.js';
import './DevicesView.css';

/** Thermostat modes and setpoint step when the device does not list its own (the device manager's defaults). */
const DEFAULT_MODES = DEFAULT_THERMOSTAT_LIMITS.modes;
const SETPOINT_STEP = DEFAULT_THERMOSTAT_LIMITS.temp_step;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function can(d: DeviceStatus, action: DeviceActionName): boolean {
  // Older device managers do not list actions: fall back to what the kind implies.
  return d.actions ? d.actions.includes(action) : true;
}

/** A slider that sends on release, and follows the device while the user is not dragging it. */
function Slider(props: {
  value: number;
  min: number;
  max: number;
  step: number;
  label: string;
  unit: string;
  disabled: boolean;
  onCommit: (v: number) => void;
  testId: string;
}) {
  const [drag, setDrag] = useState<number | null>(null);
  const shown = drag ?? props.value;
  return (
    <label className="slider">
      <span>{props.label}</span>
      <input
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={shown}
        disabled={props.disabled}
        onChange={(e) => setDrag(Number(e.target.value))}
        onPointerUp={() => {
          if (drag !== null) props.onCommit(drag);
          setDrag(null);
        }}
        onKeyUp={(e) => {
          if (drag !== null && e.key.startsWith('Arrow')) {
            props.onCommit(drag);
            setDrag(null);
          }
        }}
        aria-label={props.label}
        data-testid={props.testId}
      />
      <span className="num">
        {shown}
        {props.unit}
      </span>
    </label>
  );
}

function Controls({ d }: { d: DeviceStatus }) {
  const s = d.state;
  const id = d.device_id;
  const busy = useDevices((st) => st.commands[id]?.pending === true);
  const off = !d.online || busy;
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
            onClick={() => void deviceCommand(id, on ? 'turn_off' : 'turn_on')}
            data-testid={`toggle-${id}`}
          >
            <span className="knob" />
            {on ? 'On' : 'Off'}
          </button>
          {can(d, 'set_brightness') && d.traits.includes(TRAITS.brightness) && (
            <Slider
              value={num(s.brightness) ?? 0}
              min={MIN_LIT_BRIGHTNESS}
              max={PERCENT.max}
              step={1}
              label="Brightness"
              unit="%"
              disabled={off}
              onCommit={(v) => void deviceCommand(id, 'set_brightness', { brightness: v })}
              testId={`brightness-${id}`}
            />
          )}
        </div>
      );
    }
    case 'thermostat':
    case 'climate': {
      const target = num(s.target) ?? 21;
      const mode = typeof s.mode === 'string' ? s.mode : 'off';
      const listed = (d as { modes?: unknown }).modes;
      const modes = [
        ...new Set([...(Array.isArray(listed) ? listed.filter((m): m is string => typeof m === 'string') : DEFAULT_MODES), mode]),
      ];
      return (
        <div className="controls">
          <div className="thermo">
            <button
              disabled={off}
              onClick={() => void deviceCommand(id, 'set_temperature', { target: target - SETPOINT_STEP })}
              aria-label="lower setpoint"
            >
              −
            </button>
            <span className="setpoint num" data-testid={`target-${id}`}>
              {target.toFixed(1)}°
            </span>
            <button
              disabled={off}
              onClick={() => void deviceCommand(id, 'set_temperature', { target: target + SETPOINT_STEP })}
              aria-label="raise setpoint"
            >
              +
            </button>
            <span className="muted small">now {num(s.current)?.toFixed(1) ?? '—'}°</span>
          </div>
          <div className="seg">
            {modes.map((m) => (
              <button
                key={m}
                className={m === mode ? 'on' : ''}
                disabled={off}
                onClick={() => void deviceCommand(id, 'set_mode', { mode: m })}
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
            className={`toggle ${locked ? 'on' : ''}`}
            role="switch"
            aria-checked={locked}
            disabled={off}
            onClick={() => void deviceCommand(id, locked ? 'unlock' : 'lock')}
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
          <button disabled={off} onClick={() => void deviceCommand(id, playing ? 'pause' : 'play')} data-testid={`toggle-${id}`}>
            {playing ? '❚❚ Pause' : '▶ Play'}
          </button>
          <Slider
            value={num(s.volume) ?? 0}
            min={PERCENT.min}
            max={PERCENT.max}
            step={1}
            label="Volume"
            unit="%"
            disabled={off}
            onCommit={(v) => void deviceCommand(id, 'set_volume', { volume: v })}
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

/** The card's footer: command progress or failure, the last update, and Remove with a confirm step. */
function CardFooter({ d, now }: { d: DeviceStatus; now: number }) {
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
  return (
    <div className="card-foot">
      <span className="grow">
        {cmd?.pending ? (
          <span className="busy-text">{cmd.action}…</span>
        ) : cmd?.error ? (
          <span className="bad" data-testid={`device-error-${id}`}>
            {cmd.action} failed · {cmd.error.code}: {cmd.error.message}
          </span>
        ) : (
          <span className="muted">updated {formatDuration(Math.max(0, now - d.updated_at))} ago</span>
        )}
      </span>
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
  );
}

function Card({ d, now, fresh }: { d: DeviceStatus; now: number; fresh: boolean }) {
  const on = d.state.on === true || d.state.playing === true;
  const ref = useRef<HTMLElement>(null);
  // A device just added from the form may land in a room below the fold: bring it into view.
  useEffect(() => {
    if (fresh) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [fresh]);
  return (
    <article
      ref={ref}
      className={`dcard ${on ? 'lit' : ''} ${d.online ? '' : 'offline'} ${fresh ? 'fresh' : ''}`}
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
        <span
          className={`badge ${!d.online ? 'bad' : on || d.state.locked === true ? 'ok' : 'muted'}`}
          data-testid={`summary-${d.device_id}`}
        >
          {d.online ? summary(d) || 'online' : 'offline'}
        </span>
      </header>
      <Controls d={d} />
      <footer className="small">
        <CardFooter d={d} now={now} />
      </footer>
      <label className="check small ask-first" title="A spoken or typed command asks “…?” and waits for yes before acting on this device">
        <input
          type="checkbox"
          checked={d.confirm === true}
          onChange={(e) => void setAskFirst(d.device_id, e.target.checked)}
          data-testid={`ask-first-${d.device_id}`}
        />
        Voice asks before acting
      </label>
    </article>
  );
}

export function DevicesView() {
  const devices = useDevices((s) => s.devices);
  const now = useNow(5000);
  const rooms = useMemo(() => {
    const m = new Map<string, DeviceStatus[]>();
    for (const d of Object.values(devices)) {
      const room = d.room || (d.origin === 'homeassistant' ? 'Home Assistant' : 'No room');
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
