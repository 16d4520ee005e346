/**
 * The alert model (issue 8 item 1): what the bot tells its owner. Levels decide priority, sound and
 * what passes during quiet hours; kinds decide rate limits and which notification an alert replaces.
 */
import type { PositionSide } from '../domain/types.js';

/** Ordered least to most urgent; `critical` alone passes quiet hours. */
export const ALERT_LEVELS = ['info', 'trade', 'warning', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const ALERT_KINDS = [
  'fill',
  /** A trade ended, with its result: the second (and last) notification of a trade. */
  'tradeClosed',
  'takeProfit',
  'stopLoss',
  'breakeven',
  'killSwitch',
  'reconcile',
  'clockDistrust',
  'clockTrusted',
  'streamOutage',
  'streamRestored',
  'error',
  'dailySummary',
  'control',
  'battery',
  'status',
  'startup',
  'shutdown',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  readonly level: AlertLevel;
  readonly kind: AlertKind;
  readonly title: string;
  readonly body: string;
  readonly symbol?: string;
  /** Alerts with the same key within the router's de-duplication window are delivered once. */
  readonly dedupeKey?: string;
  /** Unix ms when the event happened. */
  readonly ts: number;
}

/** What callers hand the router; `ts` defaults to the router's clock. */
export type AlertInput = Omit<Alert, 'ts'> & { readonly ts?: number };

/** The plain input of the ongoing status notification (mode, PnL today, positions, clock trust). */
export interface StatusSnapshot {
  /** 'paper' | 'testnet' | 'demo' | 'mainnet' (domain `Mode`), or 'replay'. */
  readonly mode: string;
  readonly paused: boolean;
  readonly pausedReason?: string;
  /** Realised PnL today as a decimal string (money stays Decimal; this is display only). */
  readonly pnlToday: string;
  /** Quote currency for the PnL figure; default USDT. */
  readonly quoteCurrency?: string;
  /** `detail`: the trade's progress (targets filled, where the stop is); it updates here, not as new notifications. */
  readonly openPositions: readonly { readonly symbol: string; readonly side: PositionSide; readonly detail?: string }[];
  readonly clockTrusted: boolean;
  readonly clockOffsetMs?: number;
  /** The step the bot is waiting for Bybit to answer (start-up or a retried read), if any. */
  readonly waitingFor?: string;
  /** The failure it last saw there, as Bybit sent it. */
  readonly waitingError?: string;
  /** A second (mirror) account, when one is configured (issue 24): trading or not, why, its open positions. */
  readonly mirror?: { readonly trading: boolean; readonly why?: string; readonly openPositions: StatusSnapshot['openPositions'] };
}

export function levelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level);
}

export function isAlertLevel(value: unknown): value is AlertLevel {
  return typeof value === 'string' && (ALERT_LEVELS as readonly string[]).includes(value);
}

export function isAlertKind(value: unknown): value is AlertKind {
  return typeof value === 'string' && (ALERT_KINDS as readonly string[]).includes(value);
}
