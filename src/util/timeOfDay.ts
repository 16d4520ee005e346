/** Local time of day "HH:MM" of an epoch-ms instant, for a person reading a log line or a notification. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
