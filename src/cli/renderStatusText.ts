/** The `status` text: fits a ~50-column phone terminal (it goes to stderr). */
import { Dec } from '../domain/money.js';
import { PROTECTION_WORDS, type ProtectionName } from '../domain/persistedState.js';
import type { StatusReport } from './buildStatusReport.js';

/** The protection's words; the kill switch in capitals, so it stands out on a phone screen. */
function protectionLabel(name: ProtectionName): string {
  return name === 'killSwitch' ? PROTECTION_WORDS[name].toUpperCase() : PROTECTION_WORDS[name];
}

/** Human text, each line at most ~50 columns (long reasons wrap). */
export function renderStatusText(r: StatusReport): string {
  const out: string[] = [];
  const kv = (k: string, v: string): void => {
    out.push(...wrap(`${k.padEnd(9)}${v}`, 50, ' '.repeat(9)));
  };
  out.push(`pocket-scalper status`);
  kv('state', r.stateDir.length > 41 ? `…${r.stateDir.slice(-40)}` : r.stateDir);
  if (!r.hasState) {
    kv('', 'no state yet: the bot has not run here');
  } else {
    kv('mode', `${r.mode ?? 'unknown'}${r.updatedMs === null ? '' : `, saved ${ago(r.nowMs - r.updatedMs)}`}`);
  }
  kv('bot', r.running === null ? 'not running' : `running, PID ${r.running.pid}`);
  if (r.storage) kv('storage', `not writable since ${shortTime(r.storage.notWritableSinceMs)}: ${r.storage.error}`);
  if (r.hasState) {
    const c = r.clock;
    if (c === null) kv('clock', 'no measurement recorded');
    else {
      const verdict = c.trusted === true ? 'trusted' : c.trusted === false ? 'NOT trusted' : c.measured === false ? 'not measured' : 'measured';
      const offset = c.offsetMs === null ? '' : `, ${c.offsetMs >= 0 ? '+' : ''}${c.offsetMs.toFixed(1)} ms`;
      const age = c.measuredAtMs === null ? '' : `, ${ago(r.nowMs - c.measuredAtMs)}`;
      kv('clock', `${verdict}${offset}${age}`);
      for (const reason of c.reasons) kv('why', reason);
    }
    if (r.protections.length === 0) kv('protect', 'none in force');
    for (const p of r.protections) {
      const until = p.untilMs === null ? '' : ` until ${shortTime(p.untilMs)}`;
      kv(p === r.protections[0] ? 'protect' : '', `${protectionLabel(p.name)}${until}: ${p.reason}`);
    }
    if (r.symbols.length === 0) kv('position', 'flat, no open orders');
    for (const s of r.symbols) {
      out.push(`${s.symbol}`);
      const p = s.position;
      if (p === null) kv('  pos', 'flat');
      else {
        kv('  pos', `${p.side} ${p.size.toFixed()} @ ${p.entryPrice.toFixed()}`);
        const stop = p.stopPrice === null ? 'NO STOP' : `stop ${p.stopPrice.toFixed()}`;
        kv('', p.targets === 0 ? stop : `${stop}, TP ${p.targetsFilled}/${p.targets} hit`);
        kv('  uPnL', p.unrealisedPnl === null ? 'unknown (needs the exchange)' : signedMoney(p.unrealisedPnl));
      }
      kv('  orders', s.openOrders.length === 0 ? 'none' : `${s.openOrders.length} open`);
      for (const o of s.openOrders) {
        const price = o.price === null ? 'market' : `@ ${o.price.toFixed()}`;
        out.push(...wrap(`   ${o.purpose} ${o.side} ${o.qty.toFixed()} ${price} ${o.status}`, 50, '     '));
      }
      if (s.otherOrders.length > 0) {
        kv('  others', `${s.otherOrders.length} not the bot's, never cancelled by it`);
        for (const o of s.otherOrders) {
          const what = o.conditional === null ? `${o.orderLinkId === '' ? 'no id' : o.orderLinkId}` : `${CONDITIONAL_WORDS[o.conditional] ?? o.conditional}`;
          const price = o.conditional !== null ? `trigger ${o.triggerPrice?.toFixed() ?? '?'}` : o.price === null ? 'market' : `@ ${o.price.toFixed()}`;
          const qty = o.qty.isZero() ? 'all' : o.qty.toFixed();
          out.push(...wrap(`   ${what} ${o.side} ${qty} ${price}`, 50, '     '));
        }
      }
      if (s.cooldownUntilMs !== null) kv('  cool', `until ${shortTime(s.cooldownUntilMs)}`);
    }
  }
  if (r.today !== null) {
    const t = r.today;
    const limit = t.lossLimit === null ? 'limit unknown' : `limit ${t.lossLimit.toFixed(2)}`;
    const used = t.limitUsedPct === null ? '' : ` (${t.limitUsedPct.toFixed(0)} % used)`;
    kv('today', t.stale ? `${signedMoney(t.realisedPnl)} on ${shortTime(t.dayStartMs)} (old)` : `${signedMoney(t.realisedPnl)}, ${limit}${used}`);
  }
  const s = r.statistics;
  if (s.trades === 0) kv('journal', 'no closed trades yet');
  else {
    kv('trades', `${s.trades}: ${s.wins} won, ${s.losses} lost${s.winRatePct === null ? '' : ` (${s.winRatePct.toFixed(1)} %)`}`);
    kv('net', `${signedMoney(s.netPnl)}, fees ${s.fees.toFixed(2)}${s.funding.isZero() ? '' : `, funding ${s.funding.toFixed(2)}`}`);
    kv('best', `${signedMoney(s.bestPnl ?? new Dec(0))}, worst ${signedMoney(s.worstPnl ?? new Dec(0))}`);
    kv('streaks', `${s.longestWinStreak} won, ${s.longestLossStreak} lost in a row`);
    kv('max DD', s.maxDrawdownPct === null ? `${s.maxDrawdown.toFixed(2)} (no start equity)` : `${s.maxDrawdownPct.toFixed(2)} %`);
    if (s.sharpe !== null) kv('Sharpe', `${s.sharpe.toFixed(2)}, Sortino ${s.sortino === null ? 'n/a' : s.sortino.toFixed(2)} (hourly, ${s.returnHours} h)`);
    else kv('Sharpe', s.dailySharpe === null ? 'n/a (needs 2+ hours of equity records)' : `${s.dailySharpe.toFixed(2)} (daily, ${s.sharpeDays} d)`);
    for (const r of s.byReason) kv(r === s.byReason[0] ? 'by exit' : '', `${r.reason}: ${r.trades}, ${signedMoney(r.pnl)}`);
  }
  for (const p of r.journalProblems) {
    const where = `${p.file.split(/[\\/]/).at(-1) ?? p.file}:${p.line}`;
    kv('journal', p.kind === 'torn' ? `${where} torn last line skipped` : `${where} ${p.kind} error: ${p.detail}`);
  }
  return `${out.join('\n')}\n`;
}

function signedMoney(d: Dec): string {
  return `${d.gt(0) ? '+' : ''}${d.toFixed(2)}`;
}

function shortTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function ago(ms: number): string {
  if (ms < 0) return 'in the future';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** Greedy word wrap; words longer than the width are cut. */
function wrap(text: string, width: number, indent: string): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= width || line.trim() === '') {
      line = candidate;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.flatMap((l) => (l.length <= width ? [l] : chunk(l, width, indent)));
}

function chunk(text: string, width: number, indent: string): string[] {
  const out = [text.slice(0, width)];
  for (let i = width; i < text.length; i += width - indent.length) out.push(indent + text.slice(i, i + width - indent.length));
  return out;
}

/** A position's own conditional orders in words. */
const CONDITIONAL_WORDS: Readonly<Record<string, string>> = { stopLoss: 'position stop', takeProfit: 'position TP', trailingStop: 'position trailing', stop: 'conditional' };
