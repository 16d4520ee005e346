/** Bad alert settings (a time zone, a quiet-hours time, a relative path): a configuration error, exit 2. */
export class AlertConfigError extends Error {
  override name = 'AlertConfigError';
  readonly exitCode = 2;
}
