import { useEffect, useState } from 'react';
import { signOut } from './bus/connection.js';
import { inDesktopApp } from './bus/connectionInfo.js';
import { useConnection } from './stores/connectionStore.js';
import { VIEWS, useUi } from './stores/uiStore.js';
import type { ThemeChoice, View } from './stores/uiStore.js';
import './styles/shell.css';
import { DevicesView } from './views/DevicesView.js';
import { HealthView } from './views/HealthView.js';
import { ServicesView } from './views/ServicesView.js';
import { SignedOut } from './views/SignedOut.js';
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
      Alicia <span className="muted">Control Center</span>
    </div>
  );
}

function ConnectionBadge() {
  const status = useConnection((s) => s.status);
  const error = useConnection((s) => s.error);
  const version = useConnection((s) => s.version);
  const cls = status === 'connected' ? 'ok' : status === 'error' || status === 'offline' ? 'bad' : 'busy';
  return (
    <div className="conn" title={error ?? ''} data-testid="connection" data-status={status}>
      <span className={`dot ${cls}`} />
      <span>{status === 'connected' ? 'connected' : status}</span>
      {version && <span className="muted small">v{version}</span>}
    </div>
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
      data-testid="theme-toggle"
      data-theme={theme}
    >
      {theme === 'system' ? '◐ Auto' : theme === 'light' ? '☀ Light' : '☾ Dark'}
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

/** Keyboard: 1-6 switch views, / focuses the topic filter, t cycles the theme. */
function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const ui = useUi.getState();
      const i = Number(e.key);
      if (Number.isInteger(i) && i >= 1 && i <= VIEWS.length) {
        ui.setView(VIEWS[i - 1] as View);
        e.preventDefault();
      } else if (e.key === '/') {
        e.preventDefault();
        if (ui.view !== 'topics') ui.setView('topics');
        requestAnimationFrame(() => document.getElementById('topic-filter')?.focus());
      } else if (e.key === 't') {
        ui.setTheme(ui.theme === 'system' ? 'light' : ui.theme === 'light' ? 'dark' : 'system');
      }
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

export function App() {
  const view = useUi((s) => s.view);
  const setView = useUi((s) => s.setView);
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
        <nav className="nav" role="tablist">
          {VIEWS.map((v, i) => (
            <button
              key={v}
              role="tab"
              aria-selected={view === v}
              className={view === v ? 'on' : ''}
              onClick={() => setView(v)}
              title={`${LABELS[v]} (${i + 1})`}
              data-testid={`nav-${v}`}
            >
              {LABELS[v]}
              <kbd>{i + 1}</kbd>
            </button>
          ))}
        </nav>
        <div className="right">
          <ConnectionBadge />
          <ThemeToggle />
          <SignOutButton />
        </div>
      </header>
      {error && status !== 'connected' && <div className="banner bad">{error}</div>}
      {error && status === 'connected' && <div className="banner warn">{error}</div>}
      <main className="main" data-view={view}>
        {view === 'services' && <ServicesView />}
        {view === 'topics' && <TopicsView />}
        {view === 'traces' && <TracesView />}
        {view === 'health' && <HealthView />}
        {view === 'devices' && <DevicesView />}
        {view === 'voice' && <VoiceView />}
      </main>
    </div>
  );
}
