/**
 * SES message tags that tie a notification to its message and recipient. SES echoes them in event
 * notifications (bounce, complaint, delivery). Values are ids and refs only: never secret.
 */
export const MESSAGE_TAG = 'sealpost-message';
export const RECIPIENT_TAG = 'sealpost-recipient';
