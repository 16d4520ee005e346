/**
 * `backtest --html OUT.html` (issue 9 item 3): one self-contained file a phone's browser opens
 * offline (`termux-open OUT.html`): the metrics, an equity chart with a marker at every entry and
 * exit, a drawdown chart, the maker's inventory over time, and the trades. The charts are inline SVG
 * drawn here, so the page needs no script, no font and no network at view time.
 *
 * On a phone the page is as wide as the screen: parameters wrap as a list, axis labels grow with the
 * charts' shrinking scale (never below 11 px as drawn) and lines keep their width in screen pixels.
 *
 * Long curves are thinned to at most ~1200 columns, each keeping its lowest and highest point in
 * time order, so no peak or trough of the curve disappears from the chart. The curves are read from
 * the run's typed arrays (issue 21): no per-point objects, only the drawn points become text.
 */
import { drawdownSeries } from './metrics.js';
import type { ReportCurves, ReportHead } from './backtestReport.js';
import { asCurve, type Curve } from './curveValues.js';

const W = 720;
// The y labels sit inside the plot (left-aligned over their grid lines), so the left margin stays
// small at any label size; the bottom margin holds the x labels at their largest (phone) size.
const PAD_L = 6;
const PAD_R = 10;
const PAD_T = 10;
const PAD_B = 34;
const COLUMNS = 1200;

/**
 * Axis label sizes in the charts' own units (the SVG is W = 720 units wide and scaled to the page),
 * per screen width, so a label is never drawn below 11 CSS px: the chart is min(screen − 24, 760)
 * − 2 px wide, so a size of 11 × 720 / that width is needed at the narrow end of each step.
 */
const LABEL_STEPS: readonly (readonly [minScreenPx: number, size: number])[] = [
  [786, 11],
  [640, 13],
  [520, 16.5],
  [400, 21.5],
  [320, 27.5],
  [0, 34],
];

function labelCss(): string {
  return LABEL_STEPS.map(([min, size], i) => {
    const max = i === 0 ? null : LABEL_STEPS[i - 1]![0] - 0.02;
    const rule = `.ylab,.xlab{font-size:${size}px}`;
    if (max === null) return `@media (min-width:${min}px){${rule}}`;
    return `@media ${min > 0 ? `(min-width:${min}px) and ` : ''}(max-width:${max}px){${rule}}`;
  }).join('\n');
}

const COLOURS = { equity: '#1565c0', drawdown: '#c62828', inventory: '#6a1b9a', long: '#2e7d32', short: '#ef6c00', win: '#2e7d32', loss: '#c62828' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Indices to draw: all of them, or per column the first, lowest and highest, and last point. */
export function thinIndices(curve: Curve | ArrayLike<number>, columns = COLUMNS): number[] {
  const values = asCurve(curve);
  const n = values.length;
  if (n <= columns * 2) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let c = 0; c < columns; c++) {
    const a = Math.floor((c * n) / columns);
    const b = Math.floor(((c + 1) * n) / columns);
    let lo = a;
    let hi = a;
    for (let i = a; i < b; i++) {
      const v = values.at(i);
      if (v < values.at(lo)) lo = i;
      if (v > values.at(hi)) hi = i;
    }
    for (const i of [...new Set([a, lo, hi, b - 1])].sort((x, y) => x - y)) out.push(i);
  }
  return out;
}

interface Scale {
  readonly x: (ts: number) => number;
  readonly y: (v: number) => number;
  readonly lo: number;
  readonly hi: number;
  readonly h: number;
}

/** `padTop` false keeps the top of the scale at hi0 exactly (the drawdown chart's 0 %). */
function scale(t0: number, t1: number, lo0: number, hi0: number, h: number, padTop = true): Scale {
  const span = hi0 - lo0;
  const lo = span > 0 ? lo0 - span * 0.05 : lo0 - 1;
  const hi = !padTop ? hi0 : span > 0 ? hi0 + span * 0.05 : hi0 + 1;
  const tspan = t1 > t0 ? t1 - t0 : 1;
  return {
    x: (ts) => PAD_L + ((ts - t0) / tspan) * (W - PAD_L - PAD_R),
    y: (v) => PAD_T + (1 - (v - lo) / (hi - lo)) * (h - PAD_T - PAD_B),
    lo,
    hi,
    h,
  };
}

const f1 = (x: number): string => x.toFixed(1);

/** Lowest and highest value (a loop: spreading a long curve into Math.min would overflow the stack). */
function extent(values: Curve, ...extra: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values.at(i);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (const v of extra) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** Open times of the curve's points. */
interface Times {
  readonly length: number;
  at(i: number): number;
}

function linePath(times: Times, values: Curve, s: Scale): string {
  const idx = thinIndices(values);
  let d = '';
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    d += `${k === 0 ? 'M' : 'L'}${f1(s.x(times.at(i)))} ${f1(s.y(values.at(i)))}`;
  }
  return d;
}

function axes(s: Scale, t0: number, t1: number, unit: string): string {
  const ticks = [s.lo, (s.lo + s.hi) / 2, s.hi];
  const label = (v: number): string => (Math.abs(s.hi - s.lo) >= 100 ? v.toFixed(0) : Math.abs(s.hi - s.lo) >= 1 ? v.toFixed(2) : v.toPrecision(3));
  // Inside the plot: the top label hangs below its line, the others stand on theirs.
  const y = ticks
    .map(
      (v, i) =>
        `<line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${f1(s.y(v))}" y2="${f1(s.y(v))}"/><text class="ylab" x="${PAD_L + 4}" y="${f1(s.y(v))}" dy="${i === ticks.length - 1 ? '1em' : '-0.3em'}">${esc(label(v))}${unit}</text>`,
    )
    .join('');
  const day = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return `${y}<text class="xlab" x="${PAD_L}" y="${s.h - 6}">${day(t0)}</text><text class="xlab end" x="${W - PAD_R}" y="${s.h - 6}">${day(t1)}</text>`;
}

function chart(id: string, title: string, body: string, h: number): string {
  return `<section><h2>${esc(title)}</h2><svg id="${id}" class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}">${body}</svg></section>`;
}

/** Index of the last point with time <= ts (the candle a trade event belongs to). */
function indexAt(times: Times, ts: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (times.at(mid) <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function renderHtmlReport(r: ReportHead, curves: ReportCurves, notes: readonly string[] = []): string {
  const times = curves.times;
  const eq = curves.equity;
  const t0 = times.length > 0 ? times.at(0) : 0;
  const t1 = times.length > 0 ? times.at(times.length - 1) : 1;
  const m = r.metrics;

  // Equity with trade markers.
  const eH = 300;
  const es = scale(t0, t1, ...extent(eq), eH);
  const markers = r.trades
    .map((t, k) => {
      const ie = indexAt(times, t.entryTs);
      const ix = indexAt(times, t.exitTs);
      const entry = `<circle class="trade-marker entry ${t.side}" cx="${f1(es.x(times.at(ie)))}" cy="${f1(es.y(eq.at(ie)))}" r="3.5" fill="${t.side === 'long' ? COLOURS.long : COLOURS.short}"><title>#${k + 1} ${t.side} entry ${t.entryPrice}</title></circle>`;
      const exit = `<rect class="trade-marker exit ${t.pnl >= 0 ? 'win' : 'loss'}" x="${f1(es.x(times.at(ix)) - 3)}" y="${f1(es.y(eq.at(ix)) - 3)}" width="6" height="6" fill="${t.pnl >= 0 ? COLOURS.win : COLOURS.loss}"><title>#${k + 1} exit ${t.exitPrice} (${t.exitReason}) PnL ${t.pnl}</title></rect>`;
      return entry + exit;
    })
    .join('');
  const equitySvg = `${axes(es, t0, t1, '')}<path id="equity-line" d="${linePath(times, eq, es)}" fill="none" stroke="${COLOURS.equity}" stroke-width="2" stroke-linejoin="round" vector-effect="non-scaling-stroke"/>${markers}`;

  // Drawdown, as a filled area below zero.
  const below = drawdownSeries(eq);
  const dd: Curve = { length: below.length, at: (i) => -below.at(i) };
  const dH = 200;
  const ds = scale(t0, t1, extent(dd, -0.01)[0], 0, dH, false);
  const ddLine = linePath(times, dd, ds);
  const ddSvg = `${axes(ds, t0, t1, '%')}<path id="drawdown-area" d="${ddLine}L${f1(ds.x(t1))} ${f1(ds.y(0))}L${f1(ds.x(t0))} ${f1(ds.y(0))}Z" fill="${COLOURS.drawdown}" fill-opacity="0.35" stroke="${COLOURS.drawdown}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>`;

  let inventorySection = '';
  if (r.strategy === 'maker') {
    const inv = curves.inventory;
    const iH = 200;
    const is = scale(t0, t1, ...extent(inv, 0), iH);
    inventorySection = chart(
      'inventory-chart',
      'Inventory (base units, long > 0)',
      `${axes(is, t0, t1, '')}<line class="zero" x1="${PAD_L}" x2="${W - PAD_R}" y1="${f1(is.y(0))}" y2="${f1(is.y(0))}"/><path id="inventory-line" d="${linePath(times, inv, is)}" fill="none" stroke="${COLOURS.inventory}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>`,
      iH,
    );
  }

  const row = (k: string, v: string): string => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const num = (x: number, d = 2): string => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const metrics = [
    row('Net PnL', `${num(m.netPnl)} USDT`),
    row('Return', `${num(m.returnPct)} %`),
    row('Trades', `${m.trades}${m.trades ? ` (win ${num(m.winRate * 100, 1)} %)` : ''}`),
    row('Profit factor', m.profitFactor === null ? 'no losses' : num(m.profitFactor)),
    row('Max drawdown', `${num(m.maxDrawdownPct)} %`),
    row('Sharpe', num(m.sharpe)),
    row('Sortino', num(m.sortino)),
    row('Fees', `${num(m.fees)} USDT`),
    row('Exposure', `${num(m.exposurePct, 1)} %`),
    row('Speed', `${r.perf.candlesPerSec.toLocaleString('en-US')} candles/s`),
  ].join('');
  const shown = r.trades.slice(-200);
  const tradeRows = shown
    .map(
      (t) =>
        `<tr class="${t.pnl >= 0 ? 'win' : 'loss'}"><td>${new Date(t.entryTs).toISOString().slice(5, 16).replace('T', ' ')}</td><td>${t.side}</td><td>${t.entryPrice}</td><td>${t.exitPrice}</td><td>${esc(t.exitReason)}</td><td>${num(t.pnl)}</td></tr>`,
    )
    .join('');
  // A list that wraps item by item: one long line of parameters would be wider than a phone.
  const params = Object.entries(r.params)
    .map(([k, v]) => `<li>${esc(k)}=${esc(JSON.stringify(v))}</li>`)
    .join('');
  const title = `${r.data.symbol} ${r.strategy} ${r.data.interval}m backtest`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:12px;background:#fafafa;color:#222;max-width:760px}
h1{font-size:19px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}p.sub{margin:0;color:#666;font-size:13px;overflow-wrap:anywhere}
ul.params{display:flex;flex-wrap:wrap;gap:0 12px;list-style:none;margin:2px 0 8px;padding:0;color:#666;font-size:13px}ul.params li{overflow-wrap:anywhere}
.chart{display:block;box-sizing:border-box;width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:6px}
.grid{stroke:#eee;stroke-width:1}.zero{stroke:#999;stroke-width:1;stroke-dasharray:4 3}
.ylab,.xlab{font-size:11px;fill:#555;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.xlab.end{text-anchor:end}
${labelCss()}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:right;font-size:13px}
table.trades td{overflow-wrap:anywhere}
@media (max-width:520px){th,td{padding:3px 3px;font-size:12px}}
table.metrics th{text-align:left;font-weight:normal;color:#555}tr.win td:last-child{color:${COLOURS.win}}tr.loss td:last-child{color:${COLOURS.loss}}
.legend span{display:inline-block;margin-right:10px;font-size:12px}.notes{color:#8a6d00;font-size:13px;overflow-wrap:anywhere}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="sub">${esc(r.data.from)} → ${esc(r.data.to)} · ${r.data.candles.toLocaleString('en-US')} candles · ${esc(r.data.file)}</p>
<ul class="params">${params}</ul>
<table class="metrics">${metrics}</table>
${chart('equity-chart', 'Equity (USDT)', equitySvg, eH)}
<p class="legend"><span style="color:${COLOURS.long}">● long entry</span><span style="color:${COLOURS.short}">● short entry</span><span style="color:${COLOURS.win}">■ winning exit</span><span style="color:${COLOURS.loss}">■ losing exit</span></p>
${chart('drawdown-chart', 'Drawdown (% below peak)', ddSvg, dH)}
${inventorySection}
${notes.length ? `<details class="notes"><summary>${notes.length} note(s): protections and data</summary><ul>${notes.slice(0, 50).map((n) => `<li>${esc(n)}</li>`).join('')}</ul></details>` : ''}
<h2>Trades${r.trades.length > shown.length ? ` (last ${shown.length} of ${r.trades.length})` : ''}</h2>
<table class="trades"><tr><th>entry (UTC)</th><th>side</th><th>in</th><th>out</th><th>why</th><th>PnL</th></tr>${tradeRows}</table>
</body></html>
`;
}
