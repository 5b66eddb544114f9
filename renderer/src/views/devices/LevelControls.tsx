import type { KeyboardEvent } from 'react';
import { DEFAULT_THERMOSTAT_LIMITS } from '../../../../services/lib/protocol/deviceActions.js';
import { flushLevel, setLevel } from '../../actions/deviceActions.js';
import { levelAfterKey, rangeOf, snap } from '../../model/deviceLevels.js';
import type { LevelRange } from '../../model/deviceLevels.js';
import { levelKey, useDevices } from '../../stores/devicesStore.js';
import type { DeviceStatus } from '../../stores/devicesStore.js';

/**
 * The level controls of a device card: a percent slider (brightness, volume) and a thermostat's
 * setpoint. Both keep the keyboard focus while their value travels (they are never disabled for a
 * command in flight, only for an offline device), move by the WAI-ARIA keys (arrows one step, Page
 * keys ten, Home/End the ends), show the value the user chose until the device reports, and send
 * the latest value when the user pauses rather than one command per key (deviceActions.setLevel).
 */

type PercentAction = 'set_brightness' | 'set_volume';

/** The value the user is setting, else the device's own. */
function useShown(deviceId: string, action: PercentAction | 'set_temperature', reported: number): number {
  const wanted = useDevices((s) => s.levels[levelKey(deviceId, action)]);
  return wanted ?? reported;
}

/** Keys the control handles itself (the native input would otherwise step it once more, and fire no commit). */
function onLevelKey(e: KeyboardEvent, shown: number, r: LevelRange, move: (v: number) => void): void {
  const v = levelAfterKey(e.key, shown, r);
  if (v === null) return;
  e.preventDefault();
  if (v !== shown) move(v);
}

export function PercentSlider(props: {
  device: DeviceStatus;
  action: PercentAction;
  /** what the device reports */
  value: number;
  min: number;
  max: number;
  label: string;
  disabled: boolean;
  testId: string;
}) {
  const id = props.device.device_id;
  const shown = useShown(id, props.action, props.value);
  const range = rangeOf(props.min, props.max, 1);
  const move = (v: number, now = false) => setLevel(id, props.action, v, now);
  return (
    <label className="slider">
      <span>{props.label}</span>
      <input
        type="range"
        min={props.min}
        max={props.max}
        step={1}
        value={shown}
        disabled={props.disabled}
        aria-valuetext={`${shown} %`}
        onKeyDown={(e) => onLevelKey(e, shown, range, move)}
        // a pointer drag (or any other input): shown at once, sent on release or when it rests
        onChange={(e) => move(Number(e.target.value))}
        onPointerUp={() => flushLevel(id, props.action)}
        onBlur={() => flushLevel(id, props.action)}
        data-testid={props.testId}
      />
      <span className="num" aria-hidden="true">
        {shown}%
      </span>
    </label>
  );
}

export function SetpointControl({ device, disabled }: { device: DeviceStatus; disabled: boolean }) {
  const id = device.device_id;
  const limits = device.limits ?? DEFAULT_THERMOSTAT_LIMITS;
  const range = rangeOf(limits.min_temp, limits.max_temp, limits.temp_step);
  const reported = typeof device.state.target === 'number' ? device.state.target : 21;
  const shown = useShown(id, 'set_temperature', reported);
  const move = (v: number) => {
    if (!disabled && v !== shown) setLevel(id, 'set_temperature', v);
  };
  const current = typeof device.state.current === 'number' ? device.state.current.toFixed(1) : '—';
  return (
    <div className="thermo">
      {/* not disabled at the ends either: a disabled button drops the focus of whoever pressed it */}
      <button
        type="button"
        aria-label="lower setpoint"
        aria-disabled={disabled || shown <= range.min}
        onClick={() => move(snap(shown - range.step, range))}
        data-testid={`setpoint-down-${id}`}
      >
        −
      </button>
      <span
        className="setpoint num"
        role="spinbutton"
        tabIndex={disabled ? -1 : 0}
        aria-label="Setpoint"
        aria-valuemin={range.min}
        aria-valuemax={range.max}
        aria-valuenow={shown}
        aria-valuetext={`${shown.toFixed(1)} °C`}
        aria-disabled={disabled}
        onKeyDown={(e) => onLevelKey(e, shown, range, move)}
        onBlur={() => flushLevel(id, 'set_temperature')}
        data-testid={`target-${id}`}
      >
        {shown.toFixed(1)}°
      </span>
      <button
        type="button"
        aria-label="raise setpoint"
        aria-disabled={disabled || shown >= range.max}
        onClick={() => move(snap(shown + range.step, range))}
        data-testid={`setpoint-up-${id}`}
      >
        +
      </button>
      <span className="muted small">now {current}°</span>
    </div>
  );
}
