/**
 * Outgoing mail for the portal: the SES notifier that sends verification codes. Its own module so
 * the portal bundle gets the SES client without the sender's sealing and MIME code. The SDK finds
 * AWS_ENDPOINT_URL_SES by itself (the local mailbox in npm start).
 */
import { SESClient } from '@aws-sdk/client-ses';
import { SesNotifier } from '../../adapters/ses/notifier.ts';
import type { Config } from '../../config.ts';
import type { Logger, Notifier } from '../../core/shared/index.ts';
import { secureRandom } from './storage.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

/** What the portal needs beyond reading: a notifier for codes, randomness for codes and grants, the origin for logos. */
export function composePortalMail(config: Config, logger: Logger, onClient?: SdkClientHook): { notifier: Notifier; random: (length: number) => Uint8Array; portalOrigin: string } {
  const ses = built(new SESClient(clientOptions(config)), onClient);
  return {
    notifier: new SesNotifier(ses, { logger, ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}) }),
    random: secureRandom,
    portalOrigin: config.portalOrigin,
  };
}
