import { useEffect, useState } from 'react';
import './CopyButton.css';

/** Copy through the async Clipboard API, or a hidden textarea where it is missing (non-secure contexts). */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  try {
    ta.select();
    if (!document.execCommand('copy')) throw new Error('the browser refused to copy');
  } finally {
    ta.remove();
  }
}

/** A small button that copies `text` and says whether it worked. */
export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 1600);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className={`copy ${state}`}
      onClick={() =>
        void copyText(text).then(
          () => setState('copied'),
          () => setState('failed'),
        )
      }
      data-testid={testId}
      title={state === 'failed' ? 'Copy failed: select the text and copy it by hand' : `Copy to the clipboard`}
    >
      {state === 'copied' ? '✓ Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}
