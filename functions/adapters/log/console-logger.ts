/**
 * Log lines for a person at a terminal (`npm start`): the time, what happened in words, and its
 * fields — "12:04:31  POST /v1/messages → 201  34 ms", "12:04:33  warn  webhook delivery failed
 * webhookId=wh_… attempt=2 error=dns". The same fields as the JSON logger (callers pass only
 * non-secret ones); nothing else changes.
 */
import { passesLevel, type LogLevel, type Logger } from '../../core/shared/index.ts';

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"]/.test(text) ? JSON.stringify(text) : text;
}

/** One line, without its newline. */
export function consoleLine(level: Exclude<LogLevel, 'silent'>, event: string, fields: Record<string, unknown> = {}, at = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  const tag = level === 'info' ? '' : `${level}  `;
  if (event === 'request') {
    const { method, route, status, ms, requestId: _id, ...rest } = fields;
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`).join(' ');
    return `${time}  ${tag}${String(method)} ${String(route)} → ${String(status)}  ${String(ms)} ms${extra ? `  ${extra}` : ''}`;
  }
  const details = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${value(v)}`).join(' ');
  return `${time}  ${tag}${event.replace(/_/g, ' ')}${details ? `  ${details}` : ''}`;
}

export class ConsoleLogger implements Logger {
  constructor(
    private readonly minimum: LogLevel = 'warn',
    private readonly write: (line: string, level: string) => void = (line, level) => (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`),
  ) {}

  info(event: string, fields?: Record<string, unknown>): void { this.log('info', event, fields); }
  warn(event: string, fields?: Record<string, unknown>): void { this.log('warn', event, fields); }
  error(event: string, fields?: Record<string, unknown>): void { this.log('error', event, fields); }

  private log(level: Exclude<LogLevel, 'silent'>, event: string, fields?: Record<string, unknown>): void {
    if (!passesLevel(level, this.minimum)) return;
    this.write(consoleLine(level, event, fields), level);
  }
}
