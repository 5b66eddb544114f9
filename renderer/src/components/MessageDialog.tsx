import { useEffect, useRef, useState } from 'react';
import { fetchMessage, why } from '../actions/recorderQuery.js';
import { formatTime } from '../model/format.js';
import { formatBytes } from '../model/payload.js';
import type { RecordedMessage } from '../model/recorded.js';
import { MessageViewer } from './MessageViewer.js';
import './MessageDialog.css';

/** A message to open: from the window's memory or the recorder (whose list answers may carry only the first bytes). */
export type OpenedMessage = Omit<RecordedMessage, 'source'>;

/**
 * One message in a modal dialog (native <dialog>: focus kept inside, Escape closes). A recorded
 * message whose answer carried only its first bytes is loaded whole from the recorder first.
 */
export function MessageDialog({ message, onClose }: { message: OpenedMessage; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [full, setFull] = useState<OpenedMessage | null>(message.clipped && message.row !== null ? null : message);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  useEffect(() => {
    if (full || message.row === null) return;
    let live = true;
    fetchMessage(message.row).then(
      (m) => live && setFull(m),
      (e: unknown) => {
        if (!live) return;
        setError(why(e));
        setFull(message);
      },
    );
    return () => {
      live = false;
    };
  }, [full, message]);
  return (
    <dialog ref={ref} className="message-dialog" onClose={onClose} aria-label={`message on ${message.topic}`} data-testid="message-dialog">
      <header className="dialog-head">
        <h2 className="mono" title={message.topic}>
          {message.topic}
        </h2>
        <span className="muted small">{formatTime(message.time)}</span>
        <button type="button" onClick={() => ref.current?.close()} data-testid="close-message" autoFocus>
          Close
        </button>
      </header>
      {full ? (
        <MessageViewer
          msg={full}
          note={
            <>
              {full.truncated && (
                <span className="warn-text"> · the recorder stored only the first {formatBytes(full.payload.byteLength)}</span>
              )}
              {error && (
                <span className="bad">
                  {' '}
                  · whole message not loaded ({error}): the first {formatBytes(full.payload.byteLength)} shown
                </span>
              )}
            </>
          }
        />
      ) : (
        <div className="empty">Loading the whole message ({formatBytes(message.size)}) from the recorder…</div>
      )}
    </dialog>
  );
}
