/** Structured JSON logs to stdout/stderr (CloudWatch-friendly). Callers pass only non-secret fields. */
import type { Logger } from '../core/ports.ts';

export class JsonLogger implements Logger {
  constructor(private readonly base: Record<string, unknown> = {}, private readonly write: (line: string, level: string) => void = defaultWrite) {}

  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger({ ...this.base, ...fields }, this.write);
  }

  info(event: string, fields?: Record<string, unknown>): void { this.log('info', event, fields); }
  warn(event: string, fields?: Record<string, unknown>): void { this.log('warn', event, fields); }
  error(event: string, fields?: Record<string, unknown>): void { this.log('error', event, fields); }

  private log(level: string, event: string, fields?: Record<string, unknown>): void {
    this.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...this.base, ...fields }), level);
  }
}

function defaultWrite(line: string, level: string): void {
  (level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}
