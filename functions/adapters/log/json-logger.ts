/** Structured JSON logs to stdout/stderr (CloudWatch-friendly). Callers pass only non-secret fields. */
import { passesLevel, type LogLevel, type Logger } from '../../core/shared/index.ts';

export class JsonLogger implements Logger {
  constructor(
    private readonly base: Record<string, unknown> = {},
    private readonly write: (line: string, level: string) => void = defaultWrite,
    private readonly minimum: LogLevel = 'info',
  ) {}

  info(event: string, fields?: Record<string, unknown>): void { this.log('info', event, fields); }
  warn(event: string, fields?: Record<string, unknown>): void { this.log('warn', event, fields); }
  error(event: string, fields?: Record<string, unknown>): void { this.log('error', event, fields); }

  private log(level: Exclude<LogLevel, 'silent'>, event: string, fields?: Record<string, unknown>): void {
    if (!passesLevel(level, this.minimum)) return;
    this.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...this.base, ...fields }), level);
  }
}

function defaultWrite(line: string, level: string): void {
  (level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}
