/** Lambda entry: SES event notifications (via SNS) → the audit trail of the message they concern. */
import { feedbackFromSnsEvent, type SnsEvent } from '../adapters/ses/event-source.ts';
import { loadConfig } from '../config.ts';
import { recordMailFeedback } from '../core/messages/index.ts';
import { composeLogger, composeReader } from './compose/storage.ts';

const config = loadConfig();
const deps = composeReader(config, composeLogger(config));

export async function handler(event: SnsEvent): Promise<{ recorded: number; ignored: number }> {
  const feedback = feedbackFromSnsEvent(event);
  let recorded = 0;
  for (const item of feedback) if (await recordMailFeedback(deps, item)) recorded++;
  deps.logger.info('mail_feedback', { records: event.Records?.length ?? 0, recorded });
  return { recorded, ignored: (event.Records?.length ?? 0) - recorded };
}
