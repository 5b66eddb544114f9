import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startConnection } from './bus/connection.js';
import './styles.css';

// Theme before the first paint (no inline script: the window's CSP allows scripts only from 'self').
try {
  const t = localStorage.getItem('alicia.theme');
  const dark = t === 'dark' || (t !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
} catch {
  document.documentElement.dataset.theme = 'light';
}

// The connection lives outside React (STYLE.md habit 7): started once, before the first render.
void startConnection();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
