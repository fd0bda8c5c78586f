/** Lambda entry: the scheduled maintenance run (EventBridge, every minute). */
import { loadConfig } from '../config.ts';
import { runMaintenance, type MaintenanceSummary } from '../core/maintenance/index.ts';
import { composeLogger, composeReader, composeStorage } from './compose/storage.ts';
import { composeWebhooks } from './compose/webhooks.ts';
import { composeBlobs } from './compose/blobs.ts';

const config = loadConfig();
const logger = composeLogger(config);
const storage = composeStorage(config);
const blobs = composeBlobs(config);
const deps = { ...composeReader(config, logger, storage), ...composeWebhooks(config, logger, storage), ...(blobs ? { blobs } : {}) };

/** Ends well inside the Lambda timeout (90 s), so a run never overlaps the next scheduled one by much. */
export async function handler(): Promise<MaintenanceSummary> {
  const summary = await runMaintenance(deps, { budgetMs: 40_000 });
  logger.info('maintenance_run', { expired: summary.expired, ...(summary.webhooks ? { webhooks: summary.webhooks } : {}) });
  return summary;
}
