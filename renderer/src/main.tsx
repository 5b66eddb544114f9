import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The shared styles first: Vite bundles CSS in import order, and each view's own rules, imported
// with the view, come after them and refine them.
import './styles/theme.css';
import './styles/base.css';
import './styles/controls.css';
import './styles/panels.css';
import './styles/tables.css';
import { App } from './App.js';
import { startConnection } from './bus/connection.js';

// Theme before the first paint (no inline script: the window's CSP allows scripts only from 'self').
try {
  const t = localStorage.getItem('alicia.theme');
  const dark = t === 'dark' || (t !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
} catch {
  document.documentElement.dataset.theme = 'light';
}

// The connection lives outside React (components only select from the stores it writes): started
// once, before the first render.
void startConnection();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
