import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { VIEWS, appMenuTemplate } from './menu.js';
import type { MenuOptions, ViewId } from './menu.js';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}

const shown: ViewId[] = [];
const opts = (o: Partial<MenuOptions>): MenuOptions => ({
  appName: 'Alicia Control Center',
  platform: 'linux',
  dev: false,
  showView: (v) => shown.push(v),
  openDataFolder: () => undefined,
  openLogsFolder: () => undefined,
  startAll: () => undefined,
  stopAll: () => undefined,
  ...o,
});

describe('application menu', () => {
  it('has the standard edit and window menus from roles', () => {
    const roles = appMenuTemplate(opts({})).map((i) => i.role);
    expect(roles).toContain('editMenu');
    expect(roles).toContain('windowMenu');
  });

  it('switches views with CmdOrCtrl+1..6, one accelerator per view', () => {
    const items = flatten(appMenuTemplate(opts({})));
    const viewItems = items.filter((i) => i.id?.startsWith('view-'));
    expect(viewItems.map((i) => i.accelerator)).toEqual(VIEWS.map((_, n) => `CmdOrCtrl+${n + 1}`));
    shown.length = 0;
    for (const i of viewItems) (i.click as unknown as () => void)();
    expect(shown).toEqual(VIEWS.map((v) => v.id));
  });

  it('offers reload and developer tools only in development', () => {
    const prodRoles = flatten(appMenuTemplate(opts({ dev: false }))).map((i) => i.role);
    expect(prodRoles).not.toContain('reload');
    expect(prodRoles).not.toContain('toggleDevTools');
    const devRoles = flatten(appMenuTemplate(opts({ dev: true }))).map((i) => i.role);
    expect(devRoles).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
  });

  it('has no duplicate accelerators', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const accs = flatten(appMenuTemplate(opts({ platform, dev: true })))
        .map((i) => i.accelerator)
        .filter(Boolean);
      expect(new Set(accs).size, platform).toBe(accs.length);
    }
  });

  it('puts Quit in File on Linux/Windows and the app menu first on macOS', () => {
    const linux = appMenuTemplate(opts({ platform: 'linux' }));
    expect(flatten(linux).some((i) => i.role === 'quit')).toBe(true);
    expect(linux.some((i) => i.role === 'appMenu')).toBe(false);
    const mac = appMenuTemplate(opts({ platform: 'darwin' }));
    expect(mac[0]?.role).toBe('appMenu');
    expect(flatten(mac).filter((i) => i.role === 'quit')).toHaveLength(0);
  });
});
