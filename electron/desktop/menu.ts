import type { MenuItemConstructorOptions } from 'electron';

/**
 * The application menu, as a template (Menu.buildFromTemplate in main.ts). Built from Electron's
 * roles so the platform supplies the right labels, accelerators and behaviour for copy/paste,
 * undo, zoom, minimise and full screen (Electron docs, "MenuItem roles"). Reload and developer
 * tools exist only in development: in the installed app Ctrl+R would drop the window's MQTT
 * connection for nothing, and devtools are an easy way to paste hostile code into a privileged page.
 */
export const VIEWS = [
  { id: 'services', label: 'Services' },
  { id: 'topics', label: 'Topic Tree' },
  { id: 'traces', label: 'Traces' },
  { id: 'health', label: 'Health' },
  { id: 'devices', label: 'Devices' },
  { id: 'voice', label: 'Voice' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

export interface MenuOptions {
  appName: string;
  platform: NodeJS.Platform;
  /** development build (Vite dev server or ALICIA_DEV=1) */
  dev: boolean;
  showView(view: ViewId): void;
  openDataFolder(): void;
  openLogsFolder(): void;
  startAll(): void;
  stopAll(): void;
}

export function appMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { id: 'start-all', label: 'Start All Services', click: () => o.startAll() },
      { id: 'stop-all', label: 'Stop All Services', click: () => o.stopAll() },
      { type: 'separator' },
      { id: 'data-folder', label: 'Open Data Folder', accelerator: 'CmdOrCtrl+Shift+D', click: () => o.openDataFolder() },
      { id: 'logs-folder', label: 'Open Logs Folder', accelerator: 'CmdOrCtrl+Shift+L', click: () => o.openLogsFolder() },
      // macOS keeps Quit in the app menu (role appMenu); elsewhere File ends with it.
      { type: 'separator' },
      { role: 'close' },
      ...(mac ? [] : ([{ role: 'quit' }] as MenuItemConstructorOptions[])),
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...VIEWS.map((v, i): MenuItemConstructorOptions => ({
        id: `view-${v.id}`,
        label: v.label,
        accelerator: `CmdOrCtrl+${i + 1}`,
        click: () => o.showView(v.id),
      })),
      { type: 'separator' },
      ...(o.dev
        ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ role: 'about', label: `About ${o.appName}` }],
  };
  return [
    ...(mac ? ([{ role: 'appMenu', label: o.appName }] as MenuItemConstructorOptions[]) : []),
    file,
    { role: 'editMenu' },
    view,
    { role: 'windowMenu' },
    help,
  ];
}
