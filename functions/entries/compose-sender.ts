/** The sender and admin API: sealing (openpgp), MIME (nodemailer), notification (SES), webhooks (KMS). */
import { SESClient } from '@aws-sdk/client-ses';
import { NodemailerMimeComposer } from '../adapters/nodemailer-mime-composer.ts';
import { OpenPgpSealer } from '../adapters/openpgp-sealer.ts';
import { SesNotifier } from '../adapters/ses-notifier.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../core/ports.ts';
import type { ApiDeps } from '../http/app.ts';
import { composeStorage, secureRandom, systemClock, type Storage } from './compose-storage.ts';
import { composeWebhooks } from './compose-webhooks.ts';

export function composeSender(config: Config, logger: Logger, storage: Storage = composeStorage(config)): ApiDeps {
  // The SDK finds AWS_ENDPOINT_URL_SES by itself.
  const ses = new SESClient({ region: config.region });
  return {
    tenants: storage.tenants,
    store: storage.store,
    events: storage.events,
    idempotency: storage.idempotency,
    sealer: new OpenPgpSealer(),
    mime: new NodemailerMimeComposer(),
    notifier: new SesNotifier(ses, { logger, ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}) }),
    clock: systemClock,
    random: secureRandom,
    portalOrigin: config.portalOrigin,
    logger,
    webhookAdmin: composeWebhooks(config, logger, storage),
  };
}
