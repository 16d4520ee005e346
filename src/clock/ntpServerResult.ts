/** What one NTP server gave us in one round: plain JSON, stored in state as part of a clock measurement. */
export interface NtpServerResult {
  readonly server: string;
  readonly ok: boolean;
  /** θ of the lowest-delay sample: how far the server's clock is ahead of ours, ms. */
  readonly offsetMs?: number;
  /** δ of that sample, ms. */
  readonly delayMs?: number;
  /** δ/2 plus the server's root distance (root delay / 2 + root dispersion) and its precision, ms. */
  readonly uncertaintyMs?: number;
  /** RMS of the accepted samples' offsets around the chosen one, ms. */
  readonly jitterMs?: number;
  /**
   * Of this round's other samples, the one straying most beyond its error bound from the reported
   * one: its distance and its bound (`sampleSpread` in combineNtpResults.ts). Absent with one sample.
   * Distance above bound: the server answered different times to different packets (`inconsistent`).
   */
  readonly sampleSpreadMs?: number;
  readonly sampleSpreadLimitMs?: number;
  readonly stratum?: number;
  readonly referenceId?: string;
  readonly samplesSent: number;
  readonly samplesAccepted: number;
  /** Why replies were discarded (e.g. origin mismatch), one entry per discarded reply, capped. */
  readonly rejected?: readonly string[];
  /** Set by `combineNtpResults` when this server disagrees with the majority. */
  readonly falseticker?: boolean;
  readonly error?: string;
}
