/**
 * doctor's account checks (issue 20 item 3): the margin mode (`GET /v5/account/info`) and the
 * position mode of each enabled symbol (the rows of `GET /v5/position/list`: hedge mode answers two,
 * positionIdx 1 and 2). The bot trades one-way mode only and refuses to start in hedge mode; isolated
 * margin works, with the balance read from the USDT coin because Bybit leaves the account totals empty.
 */
import * as v from 'valibot';
import { ONE_WAY_MODE_FIX } from '../exchange/bybit/bybitAccount.js';
import { redact } from '../util/redact.js';
import { check, type DoctorCheck } from './doctorChecks.js';
import { bybitSignedGet, type SignedGetOptions } from './doctorKey.js';

export const ACCOUNT_CHECK_IDS = ['margin-mode', 'position-mode'] as const;

const Info = v.object({ marginMode: v.optional(v.string(), '') });
const Positions = v.object({ list: v.array(v.object({ symbol: v.string(), positionIdx: v.optional(v.union([v.number(), v.string()]), 0) })) });

const MARGIN_MODES: Readonly<Record<string, string>> = {
  REGULAR_MARGIN: 'cross margin',
  ISOLATED_MARGIN: "isolated margin (Bybit leaves the account-wide balance empty; the bot reads the USDT coin's own balance)",
  PORTFOLIO_MARGIN: 'portfolio margin',
};

export interface AccountCheckInput extends SignedGetOptions {
  readonly baseUrl: string;
  readonly symbols: readonly string[];
}

export async function accountModeChecks(input: AccountCheckInput): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const ask = async (path: string, query: string): Promise<{ ok: true; result: unknown } | { ok: false; why: string }> => {
    try {
      const e = await bybitSignedGet(input.baseUrl, path, query, input);
      return e.retCode === 0 ? { ok: true, result: e.result } : { ok: false, why: `retCode ${e.retCode} (${redact(e.retMsg)})` };
    } catch (err) {
      return { ok: false, why: redact(err instanceof Error ? err.message : String(err)) };
    }
  };
  const info = await ask('/v5/account/info', '');
  const parsed = info.ok ? v.safeParse(Info, info.result) : null;
  if (!info.ok) out.push(check('margin-mode', 'warn', `could not read the margin mode: ${info.why}`, 'Try doctor again; the bot reads it again at start-up.'));
  else if (!parsed?.success) out.push(check('margin-mode', 'warn', 'the answer of /v5/account/info has an unexpected shape', 'Report this with the output of doctor --json.'));
  else {
    const mode = parsed.output.marginMode;
    const known = MARGIN_MODES[mode];
    out.push(known !== undefined ? check('margin-mode', 'ok', `the account uses ${known}`) : check('margin-mode', 'warn', `Bybit reports margin mode "${mode}", which the bot does not know`, 'Cross margin (REGULAR_MARGIN) or isolated margin are the tested modes.'));
  }
  for (const symbol of input.symbols) {
    const r = await ask('/v5/position/list', `category=linear&symbol=${encodeURIComponent(symbol)}`);
    const rows = r.ok ? v.safeParse(Positions, r.result) : null;
    if (!r.ok || !rows?.success) {
      out.push(check('position-mode', 'warn', `could not read the position mode of ${symbol}: ${r.ok ? 'unexpected answer' : r.why}`, 'Try doctor again; the bot checks it again at start-up.'));
      return out;
    }
    if (rows.output.list.some((p) => String(p.positionIdx) === '1' || String(p.positionIdx) === '2')) {
      out.push(check('position-mode', 'fail', `the account is in hedge mode for USDT perpetuals (${symbol} has a Buy and a Sell position row); the bot trades in one-way mode only and refuses to start`, ONE_WAY_MODE_FIX));
      return out;
    }
  }
  out.push(check('position-mode', 'ok', `one-way mode${input.symbols.length > 0 ? ` (${input.symbols.join(', ')})` : ''}`));
  return out;
}
