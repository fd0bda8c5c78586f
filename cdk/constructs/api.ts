/**
 * The HTTP API in front of the functions: /v1/* and secure replies (POST /m/{id}/reply) to the sender
 * API, everything else ($default) to the portal, whose app answers unknown paths and methods itself.
 * Throttling of the default stage is the application's rate limit (it has none of its own).
 */
import { Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Requests per second across the API, steady and in bursts. */
export const DEFAULT_THROTTLE: Required<apigwv2.ThrottleSettings> = { rateLimit: 50, burstLimit: 100 };

/** A recipient's secure reply to a message; the sender API serves it. */
export const REPLY_PATH = '/m/{id}/reply';

export interface ApiProps {
  readonly senderApi: lambda.IFunction;
  readonly portal: lambda.IFunction;
  readonly throttle?: apigwv2.ThrottleSettings;
}

export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /**
   * Host name of the execute-api endpoint, for CloudFront's origin. It references only the API
   * resource, not its routes or integrations: those depend on the functions, whose environment
   * depends on the distribution (SEALPOST_PORTAL_ORIGIN), which would be a cycle.
   */
  readonly originDomainName: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'sealpost sender API and recipient portal',
      // The default stage is declared below, with throttling, which HttpApi's own cannot have.
      createDefaultStage: false,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_THROTTLE,
    });
    const stack = Stack.of(this);
    this.originDomainName = `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    const senderApi = new HttpLambdaIntegration('SenderApi', props.senderApi);
    const portal = new HttpLambdaIntegration('Portal', props.portal);
    this.httpApi.addRoutes({ path: '/v1/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration: senderApi });
    // A recipient's secure reply is sealed like a sender's message (fresh per-recipient secrets,
    // OpenPGP), which lives in the sender API's bundle only: the portal's stays free of the sealer and
    // its MIME writer. Only POST goes there; any other method on the path reaches the portal (a 404).
    this.httpApi.addRoutes({ path: REPLY_PATH, methods: [apigwv2.HttpMethod.POST], integration: senderApi });
    // Everything else goes to the portal app, which serves its routes and answers any other path or
    // method itself: a problem+json 404 or 405 with our headers, never API Gateway's bare
    // {"message":"Not Found"}.
    new apigwv2.HttpRoute(this, 'DefaultRoute', { httpApi: this.httpApi, routeKey: apigwv2.HttpRouteKey.DEFAULT, integration: portal });
  }
}
