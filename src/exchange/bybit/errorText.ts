/** The message of a thrown value, for log lines and health details (a non-Error is stringified). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
