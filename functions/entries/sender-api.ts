/** Lambda entry: the sender API (/v1/*). */
import { handle } from 'hono/aws-lambda';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { composeDeps } from './compose.ts';

const config = loadConfig();
export const app = createApp(composeDeps(config), { api: true, portal: false });
export const handler = handle(app);
