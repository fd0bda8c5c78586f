/** Lambda entry: the recipient portal (/m/*, /assets/*, /brand/*, /admin, /inbox). */
import { handle } from 'hono/aws-lambda';
import { loadWebAssets } from '../adapters/fs/web-assets.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { inboxGroup, portalGroup } from '../http/portal-routes.ts';
import { composePortalMail } from './compose/mail.ts';
import { composeLogger, composeReader, composeStorage } from './compose/storage.ts';
import { composeInbox, composeRecoveries } from './compose/custody.ts';
import { composeDownloads } from './compose/blobs.ts';

const config = loadConfig();
const logger = composeLogger(config);
const storage = composeStorage(config);
const mail = composePortalMail(config, logger, storage.tenants);
const downloads = composeDownloads(config);
export const app = createApp({
  logger,
  ...(config.edgeSecret ? { edgeSecret: config.edgeSecret } : {}),
  portal: { ...composeReader(config, logger, storage), ...(downloads ? { downloads } : {}), ...mail, recoveries: composeRecoveries(config, storage), web: loadWebAssets(config.webDir) },
  inbox: composeInbox(config, logger, storage, mail.notifier),
}, portalGroup, inboxGroup);
export const handler = handle(app);
