#!/usr/bin/env node
// The sealpost CLI in a clone (`npx sealpost …` after `npm install`): runs functions/entries/cli.ts
// through tsx. The package an organisation installs on its own (npm run build:sdk) is a plain bundle.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../functions/entries/cli.ts');
await main();
