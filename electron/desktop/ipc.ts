import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { DESKTOP_API, desktopRequestNames } from './desktopApi.js';
import type { DesktopHandlers, DesktopPushName, PayloadOf } from './desktopApi.js';
import { isAllowedNavigation } from './security/navigation.js';

/**
 * Main's side of the desktop bridge (desktopApi.ts): one ipcMain handler per request, answering only
 * the app's own main frame (Electron security checklist, "Validate the sender of all IPC messages"):
 * a subframe or a page that navigated elsewhere gets an error, never the credential.
 * start() registers the handlers, stop() removes them; both can run twice.
 */
export class DesktopIpc {
  private registered = false;

  constructor(
    private readonly ipc: Pick<IpcMain, 'handle' | 'removeHandler'>,
    private readonly handlers: DesktopHandlers,
    private readonly appOrigins: readonly string[],
  ) {}

  start(): void {
    if (this.registered) return;
    this.registered = true;
    for (const name of desktopRequestNames()) {
      const handler = this.handlers[name] as (...args: unknown[]) => unknown;
      this.ipc.handle(DESKTOP_API[name].channel, (event, ...args: unknown[]) => {
        if (!this.trusted(event)) throw new Error('not allowed');
        return handler(...args);
      });
    }
  }

  stop(): void {
    if (!this.registered) return;
    this.registered = false;
    for (const name of desktopRequestNames()) this.ipc.removeHandler(DESKTOP_API[name].channel);
  }

  private trusted(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isAllowedNavigation(frame.url, this.appOrigins);
  }
}

/** Send one of the bridge's pushes to the window. */
export function pushToWindow<K extends DesktopPushName>(contents: Pick<WebContents, 'send'>, name: K, payload: PayloadOf<K>): void {
  contents.send(DESKTOP_API[name].channel, payload);
}
