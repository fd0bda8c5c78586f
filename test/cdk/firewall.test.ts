/** The per-IP rate rules (AWS WAF) on the distribution, and where their web ACL lives. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { RATE_RULES } from '../../cdk/constructs/firewall.ts';
import { createSealpostApp } from '../../cdk/app.ts';
import { ensureBuilt, synth } from './helpers.ts';

type Props = Record<string, any>;
const webAcls = (t: Template): Props[] => Object.values(t.findResources('AWS::WAFv2::WebACL')).map((r) => r.Properties as Props);
const distribution = (t: Template): Props => (Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]?.Properties as Props).DistributionConfig;

beforeAll(ensureBuilt);

describe('rate rules', () => {
  it('count POSTs per IP over five minutes for exactly the recipient actions that are counted or locked, and answer 429 with a problem body', () => {
    const { firewallStack } = createSealpostApp({ context: { senderDomain: 'example.com', 'aws:cdk:disable-asset-staging': true }, env: { account: '111122223333', region: 'eu-central-1' } });
    const [acl] = webAcls(Template.fromStack(firewallStack!));

    expect(acl).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect((acl?.Rules as Props[]).map((r) => [r.Name, r.Statement.RateBasedStatement.Limit, r.Statement.RateBasedStatement.EvaluationWindowSec])).toEqual([
      ['recipient-opens', 300, 300], ['recipient-answers', 60, 300],
    ]);
    for (const rule of acl?.Rules as Props[]) {
      expect(rule.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'rate-limited' });
      expect(rule.Statement.RateBasedStatement.AggregateKeyType).toBe('IP');
      expect(JSON.stringify(rule.Statement.RateBasedStatement.ScopeDownStatement)).toContain('"SearchString":"POST"');
    }
    expect(JSON.parse(acl?.CustomResponseBodies['rate-limited'].Content)).toMatchObject({ type: 'urn:sealpost:problem:rate-limited', status: 429 });
  });

  it('match the routes they are meant for and none other', () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    const matching = (path: string) => RATE_RULES.filter((r) => new RegExp(r.paths).test(path)).map((r) => r.name);

    expect(matching(`/m/${id}/open`)).toEqual(['recipient-opens']);
    expect([`/m/${id}/code`, `/m/${id}/reply`, '/inbox/api/t_abc/sign-in', '/inbox/api/t_abc/verify'].map(matching)).toEqual(Array(4).fill(['recipient-answers']));
    expect([`/m/${id}`, `/m/${id}/open/x`, '/inbox/api/t_abc/messages', '/v1/messages', '/m/short/open'].map(matching)).toEqual(Array(5).fill([]));
    // Sealed uploads' parts are GETs, and not counted: a large message must not lock its recipient out (firewall.ts).
    expect(matching(`/blobs/${id}/3`)).toEqual([]);
  });
});

describe('where the web ACL lives', () => {
  it('is made in a stack of its own in us-east-1 when the portal is elsewhere, and attached to the distribution', () => {
    const { stack, firewallStack } = createSealpostApp({ context: { senderDomain: 'example.com', 'aws:cdk:disable-asset-staging': true }, env: { account: '111122223333', region: 'eu-central-1' } });
    const main = Template.fromStack(stack);

    expect(firewallStack?.region).toBe('us-east-1');
    expect(webAcls(main)).toEqual([]);
    expect(JSON.stringify(distribution(main).WebACLId)).toContain('ExportsReader');
  });

  it('is made in the main stack in us-east-1, and, environment-agnostic, with a rule that refuses a deploy elsewhere', () => {
    const east = synth({ senderDomain: 'example.com' }, { env: { account: '111122223333', region: 'us-east-1' } });
    const agnostic = createSealpostApp({ context: { senderDomain: 'example.com', 'aws:cdk:disable-asset-staging': true } });
    const agnosticTemplate = Template.fromStack(agnostic.stack).toJSON();

    expect(webAcls(east.template)).toHaveLength(1);
    expect(distribution(east.template).WebACLId).toEqual({ 'Fn::GetAtt': [east.stack.getLogicalId(east.stack.firewall!.webAcl), 'Arn'] });
    expect(agnostic.firewallStack).toBeUndefined();
    expect(Object.values(agnosticTemplate.Rules as Props)[0].Assertions[0]).toMatchObject({ Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } });
  });

  it('is left out with -c waf=false', () => {
    const { template } = synth({ senderDomain: 'example.com', waf: 'false' });

    expect(webAcls(template)).toEqual([]);
    expect(distribution(template).WebACLId).toBeUndefined();
  });
});
