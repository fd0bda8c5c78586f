/** Lambda entry: the sender API (/v1/*). */
import { handle } from 'hono/aws-lambda';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { apiGroup } from '../http/api-routes.ts';
import { composeSender } from './compose/sender.ts';
import { composeLogger } from './compose/storage.ts';

const config = loadConfig();
const logger = composeLogger(config);
export const app = createApp({ logger, api: composeSender(config, logger), ...(config.edgeSecret ? { edgeSecret: config.edgeSecret } : {}) }, apiGroup);
export const handler = handle(app);
