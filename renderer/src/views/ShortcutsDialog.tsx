import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../model/shortcuts.js';
import { useUi } from '../stores/uiStore.js';
import './ShortcutsDialog.css';

/**
 * The `?` overlay: every keyboard shortcut. A modal dialog: the focus moves into it and back to
 * where it was when it closes (Escape, the Close button, `?` again, or a click beside it).
 */
export function ShortcutsDialog() {
  const open = useUi((s) => s.help);
  const setHelp = useUi((s) => s.setHelp);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => before?.focus?.();
  }, [open]);
  if (!open) return null;
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && setHelp(false)} data-testid="shortcuts-overlay">
      <div
        className="panel dialog shortcuts"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        onKeyDown={(e) => {
          // keep Tab inside the dialog: its one control is the Close button
          if (e.key === 'Tab') {
            e.preventDefault();
            closeRef.current?.focus();
          }
        }}
      >
        <header className="panel-head">
          <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          <button ref={closeRef} onClick={() => setHelp(false)} data-testid="shortcuts-close">
            Close
          </button>
        </header>
        <dl className="shortcut-list">
          {SHORTCUTS.map((s) => (
            <div key={s.id} className="shortcut" data-shortcut={s.id}>
              <dt>
                {s.keys.map((k) => (
                  <kbd key={k}>{k}</kbd>
                ))}
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <p className="small muted pad-x">
          Every control is also reachable with Tab and Shift+Tab; Enter or Space operates it. Shortcuts do not fire while you type in a
          field.
        </p>
      </div>
    </div>
  );
}
