/** Lambda entry: the recipient portal (/m/*, /assets/*). */
import { handle } from 'hono/aws-lambda';
import { loadWebAssets } from '../adapters/fs-web-assets.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { composeDeps } from './compose.ts';

const config = loadConfig();
export const app = createApp(composeDeps(config, { web: loadWebAssets(config.webDir) }), { api: false, portal: true });
export const handler = handle(app);
