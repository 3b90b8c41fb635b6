/**
 * The logging the integrity layer needs: pino-style (object first, message second), so the
 * Fastify logger fits as is. Nothing logged here ever carries file contents, card data or secrets.
 */
export interface IntegrityLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** For code that runs before the HTTP server (and its logger) exists: warnings and errors on stderr. */
export const stderrLogger: IntegrityLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(`[integrity] ${msg ?? ''}`, describe(obj)),
  error: (obj, msg) => console.error(`[integrity] ${msg ?? ''}`, describe(obj)),
};

export const silentLogger: IntegrityLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function describe(obj: object): string {
  try {
    return JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  } catch {
    return '';
  }
}
