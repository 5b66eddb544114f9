import { create } from 'zustand';

export const VIEWS = ['services', 'topics', 'traces', 'health', 'devices', 'voice'] as const;
export type View = (typeof VIEWS)[number];

export type ThemeChoice = 'system' | 'light' | 'dark';

const THEME_KEY = 'alicia.theme';
const VIEW_KEY = 'alicia.view';

function readTheme(): ThemeChoice {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

function readView(): View {
  const fromHash = location.hash.replace(/^#\/?/, '');
  if ((VIEWS as readonly string[]).includes(fromHash)) return fromHash as View;
  try {
    const v = localStorage.getItem(VIEW_KEY);
    if (v && (VIEWS as readonly string[]).includes(v)) return v as View;
  } catch {
    /* storage may be unavailable (privacy mode): default view */
  }
  return 'services';
}

interface UiState {
  view: View;
  theme: ThemeChoice;
  /** the `?` overlay (keyboard shortcuts) is open */
  help: boolean;
  setView: (v: View) => void;
  setTheme: (t: ThemeChoice) => void;
  setHelp: (open: boolean) => void;
}

export const useUi = create<UiState>((set) => ({
  view: readView(),
  theme: readTheme(),
  help: false,
  setHelp(help) {
    set({ help });
  },
  setView(view) {
    try {
      localStorage.setItem(VIEW_KEY, view);
    } catch {
      /* not remembered; still switches */
    }
    if (location.hash !== `#/${view}`) history.replaceState(null, '', `#/${view}`);
    set({ view });
  },
  setTheme(theme) {
    try {
      if (theme === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* not remembered; still switches */
    }
    set({ theme });
  },
}));
