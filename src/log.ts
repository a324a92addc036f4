// Structured JSON logs. Secrets never reach a log line: code logs ids, not rows, and these paths
// are redacted as a second line of defence.
import pino from 'pino';

export type Logger = pino.Logger;

/** fd 1 for the service; the CLI logs to fd 2 so that its stdout is only its answer. */
export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  return pino(
    {
    level,
    base: { service: 'hookwarden' },
    redact: {
      paths: ['secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization', 'headers', '*.headers'],
      censor: '[redacted]',
    },
  },
    pino.destination({ fd, sync: fd === 2 }),
  );
}
