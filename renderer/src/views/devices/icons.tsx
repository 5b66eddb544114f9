/** Small inline icons of the device cards (SVG: no icon font or emoji font is needed on the machine). */

/** A padlock, shut or open: the lock state is said by the icon and the word beside it, never by colour alone. */
export function Padlock({ open }: { open: boolean }) {
  return (
    <svg className="icon" width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <rect x="2.5" y="7" width="11" height="8" rx="1.5" fill="currentColor" />
      <path
        d={open ? 'M5 7V4.5a3 3 0 0 1 5.8-1.1' : 'M5 7V4.5a3 3 0 0 1 6 0V7'}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
      />
    </svg>
  );
}
