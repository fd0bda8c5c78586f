/** Lambda entry: the recipient portal (/m/*, /assets/*). */
import { handle } from 'hono/aws-lambda';
import { loadWebAssets } from '../adapters/fs-web-assets.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { composeLogger, composeReader } from './compose-storage.ts';

const config = loadConfig();
const logger = composeLogger(config);
export const app = createApp({ logger, portal: { ...composeReader(config, logger), web: loadWebAssets(config.webDir) } });
export const handler = handle(app);
