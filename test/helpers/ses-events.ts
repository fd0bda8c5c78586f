/** Real SES event-publishing notifications, wrapped the way SNS delivers them to Lambda. */
export function sesEvent(eventType: 'Delivery' | 'Bounce' | 'Complaint' | 'Send', tags: Record<string, string>, at = '2026-11-29T12:00:05.000Z') {
  const mail = {
    timestamp: '2026-11-29T12:00:00.000Z',
    source: 'notices@acme.example',
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/acme.example',
    sendingAccountId: '123456789012',
    messageId: '0100018c-1234-5678-9abc-def012345678-000000',
    destination: ['alice@example.com'],
    headersTruncated: false,
    tags: { 'ses:configuration-set': ['sealpost'], 'ses:source-ip': ['203.0.113.5'], ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, [v]])) },
  };
  const detail = {
    Delivery: { delivery: { timestamp: at, processingTimeMillis: 546, recipients: ['alice@example.com'], smtpResponse: '250 ok', reportingMTA: 'a8-70.smtp-out.amazonses.com' } },
    Bounce: { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'alice@example.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }], timestamp: at, feedbackId: 'x', reportingMTA: 'dsn; a8-70.smtp-out.amazonses.com' } },
    Complaint: { complaint: { complainedRecipients: [{ emailAddress: 'alice@example.com' }], timestamp: at, feedbackId: 'y', complaintFeedbackType: 'abuse' } },
    Send: { send: {} },
  }[eventType];
  return {
    Records: [{
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:sealpost-ses-events:1b2c',
      Sns: {
        Type: 'Notification',
        MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:sealpost-ses-events',
        Subject: null,
        Message: JSON.stringify({ eventType, mail, ...detail }),
        Timestamp: at,
        SignatureVersion: '1',
        Signature: 'EXAMPLE',
        SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem',
        UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
        MessageAttributes: {},
      },
    }],
  };
}
