/**
 * The window's keyboard shortcuts: one list, read by the key handler (App.tsx) and shown by the `?`
 * overlay, so the overlay never lists a key that does nothing. None fires while the focus is in a
 * text field (typing a "t" is not a theme change).
 */
export type ShortcutId = 'view' | 'filter' | 'theme' | 'help' | 'close';

export interface Shortcut {
  id: ShortcutId;
  /** as shown, each a key cap */
  keys: string[];
  what: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'view', keys: ['1', '2', '3', '4', '5', '6'], what: 'Switch view: Services, Topics, Traces, Health, Devices, Voice' },
  { id: 'filter', keys: ['/'], what: 'Filter the topic tree (opens Topics)' },
  { id: 'theme', keys: ['t'], what: 'Theme: system, light, dark' },
  { id: 'help', keys: ['?'], what: 'Show or hide this list' },
  { id: 'close', keys: ['Esc'], what: 'Close this list or an open dialog' },
];

/** Which shortcut a key press is (no modifier but Shift, outside text fields); null for none. */
export function shortcutOf(key: string, viewCount: number): ShortcutId | null {
  const i = Number(key);
  if (key.length === 1 && Number.isInteger(i) && i >= 1 && i <= viewCount) return 'view';
  if (key === '/') return 'filter';
  if (key === 't') return 'theme';
  if (key === '?') return 'help';
  if (key === 'Escape') return 'close';
  return null;
}
