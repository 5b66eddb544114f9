import { useMemo, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { DeviceKind } from '../../../../services/lib/protocol/device.js';
import { addDevice } from '../../actions/deviceActions.js';
import {
  BRIGHTNESS_RANGE,
  KINDS,
  SENSOR_READINGS,
  THERMOSTAT_MAX,
  THERMOSTAT_MIN,
  THERMOSTAT_MODES,
  THERMOSTAT_STEP,
  VOLUME_RANGE,
  emptyDeviceForm,
  fieldOfServiceError,
  slugify,
  validateDeviceForm,
  voiceExample,
} from '../../model/deviceForm.js';
import type { DeviceFormErrors, DeviceFormField, DeviceFormValues, KnownDevice } from '../../model/deviceForm.js';
import { useDevices } from '../../stores/devicesStore.js';
import './fields.css';
import './AddDeviceForm.css';

const KIND_HINTS: Record<DeviceKind, string> = {
  light: 'on/off, optionally dimmable',
  switch: 'on/off',
  thermostat: 'target temperature and mode',
  climate: 'target temperature and mode',
  lock: 'locked/unlocked',
  speaker: 'volume and play/pause',
  sensor: 'readings only',
};

/** One labelled field with its error under it (aria-describedby ties them for screen readers). */
function Field(props: {
  label: string;
  field: DeviceFormField;
  error: string | undefined;
  hint?: string;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <div className={`ffield ${props.wide ? 'wide' : ''} ${props.error ? 'invalid' : ''}`}>
      <label htmlFor={`add-device-${props.field}`}>{props.label}</label>
      {props.children}
      {props.error ? (
        <div className="ferror" id={`add-device-${props.field}-error`} role="alert" data-testid={`add-device-error-${props.field}`}>
          {props.error}
        </div>
      ) : props.hint ? (
        <div className="fhint">{props.hint}</div>
      ) : null}
    </div>
  );
}

/** The attributes tying an input to its field's error (AddDeviceForm's aria()). */
interface FieldInputProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
  onBlur: () => void;
  'data-testid': string;
}

/** A number between a word and its unit: "at [40] %". */
function Amount(props: {
  word: string;
  unit: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: string;
  onChange: (value: string) => void;
  input: FieldInputProps;
}) {
  return (
    <label className="inline">
      {props.word}
      <input
        type="number"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-label={props.label}
        {...props.input}
      />
      {props.unit}
    </label>
  );
}

/**
 * "Add device": validated here (deviceForm.ts) and sent as alicia/device/registry/request `add`.
 * A refusal from the device manager is shown on the field it concerns (DEVICE_EXISTS on the id)
 * with its code. Field errors show once a field was left or the form was submitted.
 */
export function AddDeviceForm({ onClose, onAdded }: { onClose: () => void; onAdded: (device_id: string) => void }) {
  const devices = useDevices((s) => s.devices);
  const [v, setV] = useState<DeviceFormValues>(() => emptyDeviceForm());
  const [idEdited, setIdEdited] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ field: DeviceFormField | 'form'; code: string; message: string } | null>(null);
  const [added, setAdded] = useState<{ id: string; name: string; room: string; say: string | null } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const known: KnownDevice[] = useMemo(
    () => Object.values(devices).map((d) => ({ device_id: d.device_id, name: d.name, room: d.room, aliases: d.aliases })),
    [devices],
  );
  const rooms = useMemo(() => [...new Set(known.map((d) => d.room).filter((r) => r !== ''))].sort(), [known]);
  const result = useMemo(() => validateDeviceForm(v, known), [v, known]);
  const errors: DeviceFormErrors = result.ok ? {} : result.errors;

  const shown = (f: DeviceFormField): string | undefined => {
    if (refusal && refusal.field === f) return `${refusal.code}: ${refusal.message}`;
    return submitted || touched.has(f) ? errors[f] : undefined;
  };
  const set = (patch: Partial<DeviceFormValues>, fields: DeviceFormField[]) => {
    setV((old) => {
      const next = { ...old, ...patch };
      if (patch.name !== undefined && !idEdited) next.id = slugify(patch.name);
      return next;
    });
    if (refusal && (refusal.field === 'form' || fields.includes(refusal.field) || (fields.includes('name') && !idEdited))) setRefusal(null);
    setAdded(null);
  };
  const touch = (f: DeviceFormField) => setTouched((t) => (t.has(f) ? t : new Set(t).add(f)));
  const aria = (f: DeviceFormField): FieldInputProps => {
    const e = shown(f);
    return {
      id: `add-device-${f}`,
      'aria-invalid': e ? true : undefined,
      'aria-describedby': e ? `add-device-${f}-error` : undefined,
      onBlur: () => touch(f),
      'data-testid': `add-device-${f}`,
    };
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setRefusal(null);
    if (!result.ok) {
      requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    const out = await addDevice(result.request, result.initial);
    setBusy(false);
    if (!out.ok) {
      setRefusal({ field: fieldOfServiceError(out.error.code), ...out.error });
      return;
    }
    setAdded({
      id: out.device_id,
      name: result.request.device.name,
      room: result.request.device.room ?? '',
      say: voiceExample(result.request),
    });
    onAdded(out.device_id);
    // Ready for the next one in the same room and of the same kind.
    setV({ ...emptyDeviceForm(v.kind), room: v.room, dimmable: v.dimmable });
    setIdEdited(false);
    setTouched(new Set());
    setSubmitted(false);
  };

  const isLight = v.kind === 'light' || v.kind === 'switch';
  const isThermo = v.kind === 'thermostat' || v.kind === 'climate';

  return (
    <form
      ref={formRef}
      className="panel dform"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label="Add device"
      data-testid="add-device-form"
    >
      <div className="panel-head">
        <h2>Add device</h2>
        <span className="muted small">simulated by the device manager; controllable here and by voice</span>
        <button type="button" className="ghost" onClick={onClose} aria-label="close the add device form">
          ✕
        </button>
      </div>
      <div className="dform-grid">
        <Field label="Name" field="name" error={shown('name')} hint="what you say: “turn on the desk lamp”">
          <input
            type="text"
            value={v.name}
            placeholder="desk lamp"
            autoComplete="off"
            autoFocus
            onChange={(e) => set({ name: e.target.value }, ['name'])}
            {...aria('name')}
          />
        </Field>
        <Field label="ID" field="id" error={shown('id')} hint={`alicia/device/status/${v.id || '<id>'}`}>
          <input
            type="text"
            className="mono"
            value={v.id}
            placeholder="desk_lamp"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setIdEdited(e.target.value !== '');
              set({ id: e.target.value }, ['id']);
            }}
            {...aria('id')}
          />
        </Field>
        <Field label="Type" field="kind" error={shown('kind')} hint={KIND_HINTS[v.kind]}>
          <select value={v.kind} onChange={(e) => set({ kind: e.target.value as DeviceKind }, ['kind'])} {...aria('kind')}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Room" field="room" error={shown('room')} hint="optional; “<room> <name>” works too">
          <input
            type="text"
            value={v.room}
            placeholder="office"
            list="add-device-rooms"
            autoComplete="off"
            onChange={(e) => set({ room: e.target.value }, ['room', 'name'])}
            {...aria('room')}
          />
          <datalist id="add-device-rooms">
            {rooms.map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
        </Field>
        <Field label="Aliases" field="aliases" error={shown('aliases')} hint="optional, comma-separated: other names to say" wide>
          <input
            type="text"
            value={v.aliases}
            placeholder="reading lamp, the lamp on my desk"
            autoComplete="off"
            onChange={(e) => set({ aliases: e.target.value }, ['aliases'])}
            {...aria('aliases')}
          />
        </Field>

        <fieldset className="ffield wide dform-initial">
          <legend>{v.kind === 'sensor' ? 'Readings' : 'Starts as'}</legend>
          {isLight && (
            <div className="dform-row">
              {v.kind === 'light' && (
                <label className="check">
                  <input type="checkbox" checked={v.dimmable} onChange={(e) => set({ dimmable: e.target.checked }, ['brightness'])} />{' '}
                  dimmable
                </label>
              )}
              <div className="seg" role="group" aria-label="starts on or off">
                <button type="button" className={!v.on ? 'on' : ''} aria-pressed={!v.on} onClick={() => set({ on: false }, ['brightness'])}>
                  off
                </button>
                <button type="button" className={v.on ? 'on' : ''} aria-pressed={v.on} onClick={() => set({ on: true }, ['brightness'])}>
                  on
                </button>
              </div>
              {v.kind === 'light' && v.dimmable && v.on && (
                <Amount
                  word="at"
                  unit="%"
                  label="brightness"
                  min={BRIGHTNESS_RANGE.min}
                  max={BRIGHTNESS_RANGE.max}
                  step={BRIGHTNESS_RANGE.step}
                  value={v.brightness}
                  onChange={(x) => set({ brightness: x }, ['brightness'])}
                  input={aria('brightness')}
                />
              )}
            </div>
          )}
          {isThermo && (
            <div className="dform-row">
              <Amount
                word="target"
                unit="°C"
                label="target temperature"
                min={THERMOSTAT_MIN}
                max={THERMOSTAT_MAX}
                step={THERMOSTAT_STEP}
                value={v.target}
                onChange={(x) => set({ target: x }, ['target'])}
                input={aria('target')}
              />
              <div className="seg" role="group" aria-label="mode">
                {THERMOSTAT_MODES.map((m) => (
                  <button
                    type="button"
                    key={m}
                    className={v.mode === m ? 'on' : ''}
                    aria-pressed={v.mode === m}
                    onClick={() => set({ mode: m }, ['mode'])}
                  >
                    {m}
                  </button>
                ))}
              </div>
            </div>
          )}
          {v.kind === 'lock' && (
            <div className="seg" role="group" aria-label="starts locked or unlocked">
              <button type="button" className={v.locked ? 'on' : ''} aria-pressed={v.locked} onClick={() => set({ locked: true }, [])}>
                locked
              </button>
              <button type="button" className={!v.locked ? 'on' : ''} aria-pressed={!v.locked} onClick={() => set({ locked: false }, [])}>
                unlocked
              </button>
            </div>
          )}
          {v.kind === 'speaker' && (
            <Amount
              word="volume"
              unit="%"
              label="volume"
              min={VOLUME_RANGE.min}
              max={VOLUME_RANGE.max}
              step={VOLUME_RANGE.step}
              value={v.volume}
              onChange={(x) => set({ volume: x }, ['volume'])}
              input={aria('volume')}
            />
          )}
          {v.kind === 'sensor' && (
            <div className="dform-row" id="add-device-readings" data-testid="add-device-readings">
              {SENSOR_READINGS.map((r) => (
                <label key={r} className="check">
                  <input
                    type="checkbox"
                    checked={v.readings[r]}
                    onChange={(e) => {
                      set({ readings: { ...v.readings, [r]: e.target.checked } }, ['readings']);
                      touch('readings');
                    }}
                  />{' '}
                  {r}
                </label>
              ))}
            </div>
          )}
          {(['brightness', 'target', 'mode', 'volume', 'readings'] as const).map((f) =>
            shown(f) ? (
              <div key={f} className="ferror" id={`add-device-${f}-error`} role="alert" data-testid={`add-device-error-${f}`}>
                {shown(f)}
              </div>
            ) : null,
          )}
        </fieldset>
      </div>
      <div className="dform-foot">
        <div className="grow small">
          {refusal?.field === 'form' ? (
            <span className="bad" role="alert" data-testid="add-device-error-form">
              Not added · {refusal.code}: {refusal.message}
            </span>
          ) : errors.form && submitted ? (
            <span className="bad" role="alert" data-testid="add-device-error-form">
              {errors.form}
            </span>
          ) : added ? (
            <span className="ok-text" role="status" data-testid="add-device-result">
              Added “{added.name}” ({added.id}){added.room ? ` in ${added.room}` : ''}.{added.say ? ` Try saying “${added.say}”.` : ''}
            </span>
          ) : submitted && !result.ok ? (
            <span className="bad">Fix the highlighted fields.</span>
          ) : null}
        </div>
        <button type="submit" className="primary" disabled={busy} data-testid="add-device-submit">
          {busy ? 'Adding…' : 'Add device'}
        </button>
      </div>
    </form>
  );
}
