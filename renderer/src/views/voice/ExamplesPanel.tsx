import { useMemo, useState } from 'react';
import { sendText } from '../../actions/voiceActions.js';
import { examplePhrases } from '../../../../services/lib/language/examples.js';
import { useDevices } from '../../stores/devicesStore.js';
import { useVoice } from '../../stores/voiceStore.js';

/**
 * "What can I say?": one working phrase per intent family for this home (the templates the
 * recogniser listens with, filled with its devices), then the device names, aliases and rooms it
 * knows, and the names it cannot say (their words are not in its dictionary).
 */
export function ExamplesPanel() {
  const devices = useDevices((s) => s.devices);
  const unsayable = useVoice((s) => s.unsayable);
  const [open, setOpen] = useState(true);
  const list = useMemo(() => Object.values(devices), [devices]);
  const examples = useMemo(() => examplePhrases(list), [list]);
  const rooms = [...new Set(list.map((d) => d.room).filter(Boolean))].sort();
  return (
    <section className="panel voice-examples" data-testid="examples">
      <header className="panel-head">
        <h2>What can I say?</h2>
        <button className="ghost small" onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'Show'}
        </button>
      </header>
      {open && (
        <div className="examples-body">
          <ul className="examples">
            {examples.map((e) => (
              <li key={e.intent}>
                <button
                  className="example"
                  onClick={() => sendText(e.phrase)}
                  title="send it as a typed command"
                  data-testid="example"
                  data-intent={e.intent}
                >
                  “{e.phrase}”
                </button>
                <span className="small muted">{e.intent.replaceAll('_', ' ')}</span>
              </li>
            ))}
            <li>
              <span className="example static">“turn it off”</span>
              <span className="small muted">after any command: “it” is the last device</span>
            </li>
          </ul>
          <h3>Devices</h3>
          <ul className="names small">
            {list
              .slice()
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((d) => (
                <li key={d.device_id}>
                  <b>{d.name}</b>
                  {d.aliases.length > 0 && <span className="muted"> or {d.aliases.join(', ')}</span>}
                  {d.room && <span className="muted"> · {d.room}</span>}
                  {d.confirm && <span className="badge warn">asks first</span>}
                </li>
              ))}
          </ul>
          {rooms.length > 0 && <div className="small muted">Rooms: {rooms.join(', ')}</div>}
          {unsayable.length > 0 && (
            <div className="small warn-text" data-testid="unsayable">
              Not recognised by voice (words missing from the dictionary): {unsayable.join(', ')}. Typing them works.
            </div>
          )}
        </div>
      )}
    </section>
  );
}
