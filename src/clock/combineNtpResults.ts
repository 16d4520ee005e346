/**
 * Agreement between NTP readings (issue 20, item 5), within one server's round of samples and
 * across servers. One rule for both: two readings agree when their error bounds overlap, give or take
 * a slack, |θᵢ − θⱼ| ≤ uᵢ + uⱼ + slack (Marzullo's interval idea as in RFC 5905 section 11.2.1), where
 * u is a reading's uncertainty (half its round trip + the server's root distance + its precision).
 * An honest server's readings always overlap: each interval θ ± u contains the true offset.
 */
import type { NtpServerResult } from './ntpServerResult.js';

/**
 * Slack when deciding whether two readings' error bounds overlap, ms. Readings a few ms apart are
 * both fine for signing (Bybit's window is hundreds of ms wide); a lie that matters is far beyond.
 */
export const AGREEMENT_SLACK_MS = 10;

/** One reading: an offset and its uncertainty, ms. */
export interface NtpReading {
  readonly offsetMs: number;
  readonly uncertaintyMs: number;
}

/** How far a server's samples of one round stray from the one it reports. */
export interface SampleSpread {
  /** |θ − θ_best| of the sample that strays most beyond its bound, ms. */
  readonly spreadMs: number;
  /** That sample's bound: u + u_best + slack, ms. */
  readonly limitMs: number;
}

/** Where one server's round of samples strays most from its best sample; null with one sample only. */
export function sampleSpread(best: NtpReading, others: readonly NtpReading[]): SampleSpread | null {
  let worst: SampleSpread | null = null;
  for (const s of others) {
    const candidate = { spreadMs: Math.abs(s.offsetMs - best.offsetMs), limitMs: s.uncertaintyMs + best.uncertaintyMs + AGREEMENT_SLACK_MS };
    if (worst === null || candidate.spreadMs - candidate.limitMs > worst.spreadMs - worst.limitMs) worst = candidate;
  }
  return worst;
}

/** A server whose samples of one round disagree with each other: it answers different times to different packets. */
export function isInconsistent(r: NtpServerResult): boolean {
  return r.sampleSpreadMs !== undefined && r.sampleSpreadLimitMs !== undefined && r.sampleSpreadMs > r.sampleSpreadLimitMs;
}

/** The servers combined. */
export interface NtpMeasurement {
  readonly offsetMs: number;
  readonly delayMs: number;
  /** Median of the agreeing servers' uncertainties plus their spread around the chosen offset. */
  readonly uncertaintyMs: number;
  /** Largest distance of an agreeing server's offset from the chosen offset, ms. */
  readonly spreadMs: number;
  /** Size of the largest group of servers that agree; when it is not a strict majority, all servers were used. */
  readonly agreeingServers: number;
  readonly servers: readonly NtpServerResult[];
  /** Set when every answering server was inconsistent within its round: the worst of them. */
  readonly inconsistent?: SampleSpread & { readonly server: string };
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Combines per-server results. Servers whose own samples disagree (`isInconsistent`) are set aside
 * when any consistent server answered; if none did, they are used and the result says so
 * (`inconsistent`), which the drift gate refuses. Among the servers used, the largest group agreeing
 * with one server wins; if it is a strict majority, the others are marked falsetickers and the offset
 * is the median of the group. Otherwise every server counts, so the spread (and the uncertainty) is
 * large and the drift gate refuses it. Returns null when no server answered.
 */
export function combineNtpResults(results: readonly NtpServerResult[]): NtpMeasurement | null {
  const answered = results.filter((r) => r.ok && r.offsetMs !== undefined);
  if (answered.length === 0) return null;
  const consistent = answered.filter((r) => !isInconsistent(r));
  const ok = consistent.length > 0 ? consistent : answered;
  const offsetOf = (r: NtpServerResult): number => r.offsetMs ?? 0;
  const uncertaintyOf = (r: NtpServerResult): number => r.uncertaintyMs ?? 0;
  const agree = (a: NtpServerResult, b: NtpServerResult): boolean =>
    Math.abs(offsetOf(a) - offsetOf(b)) <= uncertaintyOf(a) + uncertaintyOf(b) + AGREEMENT_SLACK_MS;
  let group: NtpServerResult[] = [];
  for (const centre of ok) {
    const members = ok.filter((r) => agree(centre, r));
    if (members.length > group.length) group = members;
  }
  const majority = group.length * 2 > ok.length;
  const chosen = majority ? group : ok;
  const offsetMs = median(chosen.map(offsetOf).sort((a, b) => a - b));
  const spreadMs = Math.max(...chosen.map((r) => Math.abs(offsetOf(r) - offsetMs)));
  const uncertaintyMs = median(chosen.map(uncertaintyOf).sort((a, b) => a - b)) + spreadMs;
  const delayMs = median(chosen.map((r) => r.delayMs ?? 0).sort((a, b) => a - b));
  const servers = results.map((r) => (majority && ok.includes(r) && !group.includes(r) ? { ...r, falseticker: true } : r));
  let inconsistent: NtpMeasurement['inconsistent'];
  if (consistent.length === 0) {
    for (const r of answered) {
      const excess = (r.sampleSpreadMs ?? 0) - (r.sampleSpreadLimitMs ?? 0);
      if (inconsistent === undefined || excess > inconsistent.spreadMs - inconsistent.limitMs) {
        inconsistent = { server: r.server, spreadMs: r.sampleSpreadMs ?? 0, limitMs: r.sampleSpreadLimitMs ?? 0 };
      }
    }
  }
  return { offsetMs, delayMs, uncertaintyMs, spreadMs, agreeingServers: group.length, servers, ...(inconsistent ? { inconsistent } : {}) };
}
