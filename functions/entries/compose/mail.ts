/**
 * Outgoing mail: the SES notifier, with each tenant's logo put inside the emails (embeddingLogos).
 * For the portal it sends verification and sign-in codes. Its own module so the portal bundle gets
 * the SES client without the sender's sealing code. The SDK finds AWS_ENDPOINT_URL_SES by itself
 * (the local mailbox in npm start).
 */
import type { SesNotifier } from '../../adapters/ses/notifier.ts';
import type { Config } from '../../config.ts';
import type { Logger, Notifier } from '../../core/shared/index.ts';
import { embeddingLogos, type LogoReader } from '../../core/tenants/index.ts';
import { secureRandom } from './storage.ts';
import { onFirstCall } from './on-first-call.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

/** The notifier every entry that sends mail uses: SES, with the logo (read through `logos`) inline. */
export function composeNotifier(config: Config, logger: Logger, logos: LogoReader, onClient?: SdkClientHook): Notifier {
  // SES and its client loaded on first use (on-first-call.ts): the portal mails only codes, and a send mails after sealing.
  return embeddingLogos(onFirstCall<Notifier>('SES', { send: true }, () => sesNotifier(config, logger, onClient)), logos, logger);
}

/** The SES notifier itself: its client built now. */
export async function sesNotifier(config: Config, logger: Logger, onClient?: SdkClientHook): Promise<SesNotifier> {
  const { SESClient, SesNotifier } = await import('../../adapters/ses/notifier.ts');
  return new SesNotifier(built(new SESClient(clientOptions(config)), onClient), { logger, ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}) });
}

/** What the portal needs beyond reading: a notifier for codes, randomness for codes and grants, its origin. */
export function composePortalMail(config: Config, logger: Logger, logos: LogoReader, onClient?: SdkClientHook): { notifier: Notifier; random: (length: number) => Uint8Array; portalOrigin: string } {
  return {
    notifier: composeNotifier(config, logger, logos, onClient),
    random: secureRandom,
    portalOrigin: config.portalOrigin,
  };
}
