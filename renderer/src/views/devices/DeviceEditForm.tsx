import { useMemo, useRef, useState } from 'react';
import type { FormEvent, InputHTMLAttributes, ReactNode } from 'react';
import type { NamingField } from '../../../../services/lib/protocol/deviceNaming.js';
import { clearEdit, renameDevice } from '../../actions/deviceActions.js';
import { editValuesOf, knownRooms, validateEdit } from '../../model/deviceEdit.js';
import type { EditErrors, EditValues } from '../../model/deviceEdit.js';
import { useDevices } from '../../stores/devicesStore.js';
import type { DeviceStatus } from '../../stores/devicesStore.js';
import './fields.css';
import './DeviceEditForm.css';

const LABELS: Record<NamingField, string> = { name: 'Name', room: 'Room', aliases: 'Also called' };

/**
 * A device card turned into its edit form: the name, room and aliases voice knows it by (an adopted
 * Home Assistant device arrives with none of the user's). Checked as typed against the same rules
 * as the device manager's; a refusal from the device manager is shown in words on the field it
 * names, with its code on a line of its own.
 */
export function DeviceEditForm({ d, onClose }: { d: DeviceStatus; onClose: () => void }) {
  const id = d.device_id;
  const devices = useDevices((s) => s.devices);
  const edit = useDevices((s) => s.edits[id]);
  const [values, setValues] = useState<EditValues>(() => editValuesOf(d));
  const [errors, setErrors] = useState<EditErrors>({});
  const refs = { name: useRef<HTMLInputElement>(null), room: useRef<HTMLInputElement>(null), aliases: useRef<HTMLInputElement>(null) };
  const list = useMemo(() => Object.values(devices), [devices]);
  const others = useMemo(() => list.map((o) => ({ device_id: o.device_id, name: o.name, room: o.room, aliases: o.aliases ?? [] })), [list]);
  const rooms = useMemo(() => knownRooms(list), [list]);

  const close = () => {
    clearEdit(id);
    onClose();
  };
  const set = (f: NamingField, text: string) => {
    setValues((v) => ({ ...v, [f]: text }));
    // the old complaint no longer applies to what is being typed
    if (errors[f]) setErrors((e) => ({ ...e, [f]: undefined }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = validateEdit(values, d, others);
    if (!r.ok) {
      setErrors(r.errors);
      const first = (['name', 'room', 'aliases'] as const).find((f) => r.errors[f]);
      if (first) refs[first].current?.focus();
      return;
    }
    setErrors({});
    if (!r.request || (await renameDevice(r.request))) {
      close();
      return;
    }
    const field = useDevices.getState().edits[id]?.error?.field;
    if (field) refs[field].current?.focus();
  };

  const refused = edit?.error;
  const errorOf = (f: NamingField) => errors[f] ?? (refused?.field === f ? refused.message : undefined);
  const field = (f: NamingField, hint: ReactNode, input: InputHTMLAttributes<HTMLInputElement> = {}) => {
    const err = errorOf(f);
    return (
      <div className={`ffield ${err ? 'invalid' : ''}`}>
        <label htmlFor={`edit-${f}-${id}`}>{LABELS[f]}</label>
        <input
          id={`edit-${f}-${id}`}
          ref={refs[f]}
          value={values[f]}
          onChange={(e) => set(f, e.target.value)}
          aria-invalid={err ? true : undefined}
          aria-describedby={`edit-${f}-${id}-note`}
          data-testid={`edit-${f}-${id}`}
          {...input}
        />
        {err ? (
          <div className="ferror" id={`edit-${f}-${id}-note`} role="alert" data-testid={`edit-error-${f}-${id}`}>
            {err}
            {refused?.field === f && !errors[f] && <div className="fcode mono">{refused.code}</div>}
          </div>
        ) : (
          <div className="fhint" id={`edit-${f}-${id}-note`}>
            {hint}
          </div>
        )}
      </div>
    );
  };

  const announced = d.announced;
  return (
    <form
      className="dedit"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
      aria-label={`edit ${d.name}`}
      data-testid={`edit-form-${id}`}
      noValidate
    >
      {field(
        'name',
        announced && announced.name !== values.name ? (
          <>
            The device calls itself “{announced.name}”{' '}
            <button type="button" className="link" onClick={() => set('name', announced.name)}>
              use that
            </button>
          </>
        ) : (
          'What you say to it: “turn on the …”'
        ),
        { autoFocus: true },
      )}
      {field('room', values.room.trim() === '' ? 'No room: voice reaches it by name only' : '“turn on the lights in the …”', {
        list: `rooms-${id}`,
        placeholder: 'e.g. study',
      })}
      <datalist id={`rooms-${id}`}>
        {rooms.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      {field('aliases', 'Other names, separated by commas', { placeholder: 'e.g. reading light' })}
      {refused && !refused.field && (
        <div className="ferror" role="alert" data-testid={`edit-error-${id}`}>
          Not saved: {refused.message}
          <div className="fcode mono">{refused.code}</div>
        </div>
      )}
      <div className="dedit-foot">
        <button type="submit" className="primary" disabled={edit?.pending === true} data-testid={`edit-save-${id}`}>
          {edit?.pending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={close} data-testid={`edit-cancel-${id}`}>
          Cancel
        </button>
      </div>
    </form>
  );
}
