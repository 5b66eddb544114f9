import path from 'node:path';
import { Menu, nativeImage, Notification, Tray } from 'electron';
import type { Logger } from '../../services/lib/runtime/logger.js';
import type { InProcessBus } from '../host/broker/types.js';
import type { ViewId } from './menu.js';
import type { Notice } from './serviceNotices.js';
import { ServiceStatusFeed } from './serviceStatusFeed.js';
import { trayIconFile, trayMenuTemplate, trayStatus } from './tray.js';
import type { HealthAggregate, ServiceState, TrayActions } from './tray.js';

export interface TrayControllerOptions {
  bus: Pick<InProcessBus, 'subscribe'>;
  /** the app folder (resources/icons) */
  root: string;
  /** the tray menu's actions, and the view a clicked notification opens */
  actions: TrayActions & { showView(view: ViewId): void };
  log: Logger;
}

/**
 * The services' health outside the window: the tray icon (colour, tooltip, menu: tray.ts) and an OS
 * notification when a service crashes or fails (serviceNotices.ts), both fed by ServiceStatusFeed.
 * Some Linux desktops have no status area: then there is no icon, and the app works without it.
 * start() creates the icon and subscribes; stop() unsubscribes and removes the icon; both can run twice.
 */
export class TrayController {
  private tray: Tray | undefined;
  private readonly feed: ServiceStatusFeed;

  constructor(private readonly o: TrayControllerOptions) {
    this.feed = new ServiceStatusFeed({
      bus: o.bus,
      log: o.log,
      onStatus: (states, aggregate) => this.refresh(states, aggregate),
      onNotice: (notice) => this.notify(notice),
    });
  }

  async start(): Promise<void> {
    if (!this.tray) {
      try {
        const tray = new Tray(this.icon(trayIconFile('unknown')));
        tray.on('click', () => this.o.actions.showWindow());
        this.tray = tray;
      } catch (e) {
        this.o.log.warn('no tray icon', { error: String(e) });
      }
      this.refresh(new Map(), null);
    }
    await this.feed.start();
  }

  async stop(): Promise<void> {
    await this.feed.stop();
    if (this.tray && !this.tray.isDestroyed()) this.tray.destroy();
    this.tray = undefined;
  }

  private icon(file: string) {
    return nativeImage.createFromPath(path.join(this.o.root, 'resources', 'icons', 'tray', file));
  }

  private refresh(states: ReadonlyMap<string, ServiceState>, aggregate: HealthAggregate | null): void {
    const tray = this.tray;
    if (!tray || tray.isDestroyed()) return;
    const status = trayStatus(states, aggregate);
    tray.setImage(this.icon(trayIconFile(status.level)));
    tray.setToolTip(status.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(status, states, this.o.actions)));
  }

  private notify(notice: Notice): void {
    if (!Notification.isSupported()) return;
    const n = new Notification({
      title: notice.title,
      body: notice.body,
      urgency: notice.urgency,
      icon: path.join(this.o.root, 'resources', 'icons', 'png', '256x256.png'),
    });
    n.on('click', () => this.o.actions.showView('services'));
    n.show();
  }
}
