import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import { signOut } from './bus/connection.js';
import { inDesktopApp } from './bus/connectionInfo.js';
import { formatClock } from './model/format.js';
import { shortcutOf } from './model/shortcuts.js';
import { selectLive, useConnection } from './stores/connectionStore.js';
import { VIEWS, useUi } from './stores/uiStore.js';
import type { ThemeChoice, View } from './stores/uiStore.js';
import './styles/shell.css';
import { ConnectionBanner } from './views/ConnectionBanner.js';
import { DevicesView } from './views/DevicesView.js';
import { HealthView } from './views/HealthView.js';
import { ServicesView } from './views/ServicesView.js';
import { ShortcutsDialog } from './views/ShortcutsDialog.js';
import { SignedOut } from './views/SignedOut.js';
import { StaleScope } from './views/StaleScope.js';
import { TopicsView } from './views/TopicsView.js';
import { TracesView } from './views/TracesView.js';
import { VoiceView } from './views/VoiceView.js';

const LABELS: Record<View, string> = {
  services: 'Services',
  topics: 'Topics',
  traces: 'Traces',
  health: 'Health',
  devices: 'Devices',
  voice: 'Voice',
};

function Brand() {
  return (
    <div className="brand">
      <span className="logo" aria-hidden="true">
        ◉
      </span>
      Alicia <span className="muted brand-more">Control Center</span>
    </div>
  );
}

const STATUS_WORDS: Record<string, string> = {
  idle: 'not connected',
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  offline: 'offline',
  error: 'cannot reach host',
  'signed-out': 'signed out',
};

function ConnectionBadge() {
  const status = useConnection((s) => s.status);
  const error = useConnection((s) => s.error);
  const version = useConnection((s) => s.version);
  const url = useConnection((s) => s.url);
  const lostAt = useConnection((s) => s.lostAt);
  const live = useConnection(selectLive);
  const cls = status === 'connected' ? (live ? 'ok' : 'busy') : status === 'error' || status === 'offline' ? 'bad' : 'busy';
  const title = [
    status === 'connected' ? `Connected to ${url || 'the Alicia host'}` : `Not connected${lostAt ? ` since ${formatClock(lostAt)}` : ''}`,
    version && `host version ${version}`,
    error,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="conn" title={title} data-testid="connection" data-status={status} data-live={live}>
      <span className={`dot ${cls}`} aria-hidden="true" />
      <span className="conn-text">{STATUS_WORDS[status] ?? status}</span>
      {version && <span className="muted small conn-version">v{version}</span>}
    </div>
  );
}

function HelpButton() {
  const setHelp = useUi((s) => s.setHelp);
  return (
    <button className="ghost help-button" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" data-testid="shortcuts-button">
      <span aria-hidden="true">?</span>
      <span className="visually-hidden">Keyboard shortcuts</span>
    </button>
  );
}

/** Browser only: the desktop app's window has its own session for as long as the app runs. */
function SignOutButton() {
  const status = useConnection((s) => s.status);
  const [busy, setBusy] = useState(false);
  if (inDesktopApp() || status === 'signed-out') return null;
  const click = () => {
    setBusy(true);
    signOut().catch((e: unknown) => {
      setBusy(false);
      useConnection.setState({ error: `Sign out failed: ${e instanceof Error ? e.message : String(e)}` });
    });
  };
  return (
    <button className="ghost" onClick={click} disabled={busy} title="End this browser's session on the host" data-testid="sign-out">
      Sign out
    </button>
  );
}

function ThemeToggle() {
  const theme = useUi((s) => s.theme);
  const setTheme = useUi((s) => s.setTheme);
  const next: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
  return (
    <button
      className="ghost"
      onClick={() => setTheme(next[theme])}
      title="Theme: system → light → dark (T)"
      aria-label={`Theme: ${theme === 'system' ? 'auto' : theme}`}
      data-testid="theme-toggle"
      data-theme={theme}
    >
      <span aria-hidden="true">{theme === 'system' ? '◐' : theme === 'light' ? '☀' : '☾'}</span>
      <span className="theme-word"> {theme === 'system' ? 'Auto' : theme === 'light' ? 'Light' : 'Dark'}</span>
    </button>
  );
}

function useThemeEffect() {
  const theme = useUi((s) => s.theme);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      const dark = theme === 'dark' || (theme === 'system' && mq.matches);
      document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    };
    apply();
    mq.addEventListener('change', apply);
    return () => mq.removeEventListener('change', apply);
  }, [theme]);
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** Keyboard: the shortcuts model/shortcuts.ts lists (the `?` overlay shows the same list). */
function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const ui = useUi.getState();
      const id = shortcutOf(e.key, VIEWS.length);
      // the overlay is modal: only closing it counts while it is open
      if (ui.help) {
        if (id === 'close' || id === 'help') {
          e.preventDefault();
          ui.setHelp(false);
        }
        return;
      }
      // Escape belongs to whatever has the focus (a dialog of a view closes itself)
      if (isTyping(e.target) || id === null || id === 'close') return;
      e.preventDefault();
      if (id === 'view') ui.setView(VIEWS[Number(e.key) - 1] as View);
      else if (id === 'filter') {
        if (ui.view !== 'topics') ui.setView('topics');
        requestAnimationFrame(() => document.getElementById('topic-filter')?.focus());
      } else if (id === 'theme') ui.setTheme(ui.theme === 'system' ? 'light' : ui.theme === 'light' ? 'dark' : 'system');
      else ui.setHelp(true);
    };
    window.addEventListener('keydown', onKey);
    const onHash = () => {
      const v = location.hash.replace(/^#\/?/, '');
      if ((VIEWS as readonly string[]).includes(v)) useUi.getState().setView(v as View);
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('hashchange', onHash);
    };
  }, []);
}

/**
 * The view tabs (WAI-ARIA tabs pattern): one tab stop, Left/Right/Home/End move between them and
 * switch the view, the chosen tab labels the main area (its tabpanel).
 */
function ViewTabs() {
  const view = useUi((s) => s.view);
  const setView = useUi((s) => s.setView);
  const refs = useRef<Partial<Record<View, HTMLButtonElement | null>>>({});
  const onKeyDown = (e: ReactKeyboardEvent) => {
    const i = VIEWS.indexOf(view);
    const to =
      e.key === 'ArrowRight'
        ? (i + 1) % VIEWS.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + VIEWS.length) % VIEWS.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? VIEWS.length - 1
              : -1;
    if (to < 0) return;
    e.preventDefault();
    const v = VIEWS[to] as View;
    setView(v);
    refs.current[v]?.focus();
  };
  return (
    <nav className="nav" role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
      {VIEWS.map((v, i) => (
        <button
          key={v}
          ref={(el) => {
            refs.current[v] = el;
          }}
          id={`tab-${v}`}
          role="tab"
          aria-selected={view === v}
          aria-controls="view-panel"
          tabIndex={view === v ? 0 : -1}
          className={view === v ? 'on' : ''}
          onClick={() => setView(v)}
          title={`${LABELS[v]} (${i + 1})`}
          data-testid={`nav-${v}`}
        >
          {LABELS[v]}
          <kbd aria-hidden="true">{i + 1}</kbd>
        </button>
      ))}
    </nav>
  );
}

export function App() {
  const view = useUi((s) => s.view);
  const error = useConnection((s) => s.error);
  const status = useConnection((s) => s.status);
  useThemeEffect();
  useShortcuts();
  if (status === 'signed-out') {
    return (
      <div className="app">
        <header className="topbar">
          <Brand />
          <div className="right">
            <ThemeToggle />
          </div>
        </header>
        <SignedOut />
      </div>
    );
  }
  return (
    <div className="app">
      <header className="topbar">
        <Brand />
        <ViewTabs />
        <div className="right">
          <ConnectionBadge />
          <HelpButton />
          <ThemeToggle />
          <SignOutButton />
        </div>
      </header>
      <ConnectionBanner />
      {error && status === 'error' && <div className="banner bad">{error}</div>}
      {error && status === 'connected' && <div className="banner warn">{error}</div>}
      <main className="main" id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} data-view={view}>
        {view === 'services' && <ServicesView />}
        {view === 'topics' && <TopicsView />}
        {view === 'traces' && <TracesView />}
        {view === 'health' && <HealthView />}
        {view === 'devices' && (
          <StaleScope name="Devices">
            <DevicesView />
          </StaleScope>
        )}
        {view === 'voice' && (
          <StaleScope name="Voice">
            <VoiceView />
          </StaleScope>
        )}
      </main>
      <ShortcutsDialog />
    </div>
  );
}
