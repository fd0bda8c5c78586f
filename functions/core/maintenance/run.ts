/**
 * The scheduled work: record expirations, then deliver webhooks (which then carry those "expired"
 * events too). Runs every minute in AWS (EventBridge → the maintenance Lambda) and every few seconds
 * under `npm start`.
 */
import { describeError } from '../shared/index.ts';
import { recordExpirations, type MessageAdminDeps } from '../messages/index.ts';
import { dispatchWebhooks, type DispatchDeps, type DispatchSummary } from '../webhooks/index.ts';

export type MaintenanceDeps = MessageAdminDeps & DispatchDeps;

export interface MaintenanceSummary {
  readonly expired: number;
  readonly webhooks?: DispatchSummary;
}

/** One run. A failure of one task is logged and does not stop the other. */
export async function runMaintenance(deps: MaintenanceDeps, options: { budgetMs?: number } = {}): Promise<MaintenanceSummary> {
  let expired = 0;
  try {
    expired = await recordExpirations(deps);
  } catch (error) {
    deps.logger.error('expiry_sweep_failed', { error: describeError(error) });
  }
  try {
    const webhooks = await dispatchWebhooks(deps, deps.clock(), options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {});
    return { expired, webhooks };
  } catch (error) {
    deps.logger.error('webhook_dispatch_failed', { error: describeError(error) });
    return { expired };
  }
}
