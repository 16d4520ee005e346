/** The alert router of a running bot, from config.alerts and the secrets its messages must never show. */
import { resolve } from 'node:path';
import { createAlertRouter, type AlertSystem } from '../alerts/createAlertRouter.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import type { RunOptions } from './runOptions.js';

export function buildAlerts(config: Config, opts: RunOptions, logger: Logger): AlertSystem {
  const a = config.alerts;
  return createAlertRouter(
    {
      quietHours: a.quietHours ? { ...a.quietHours, timeZone: a.timeZone } : null,
      secrets: [opts.secrets.apiKey, opts.secrets.apiSecret, opts.secrets.telegramBotToken].filter((s): s is string => s !== null),
      termux: a.termux.enabled
        ? { enabled: true, minLevel: a.minLevel, nodePath: process.execPath, botPath: resolve(process.argv[1] ?? 'dist/bot.js'), stateDir: opts.stateDir, timeoutMs: a.termux.timeoutMs }
        : null,
      webhook: a.webhook.url ? { enabled: true, minLevel: a.minLevel, url: a.webhook.url } : null,
      telegram: a.telegram.chatId !== null && opts.secrets.telegramBotToken ? { enabled: true, minLevel: a.minLevel, token: opts.secrets.telegramBotToken, chatId: a.telegram.chatId } : null,
    },
    { logger: logger.child('alerts') },
  );
}
