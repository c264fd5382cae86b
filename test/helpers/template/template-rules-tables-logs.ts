/** The deploy template rules for DynamoDB tables and CloudWatch log groups. */
import {
  isRecord,
  numberOr,
  props,
  refTarget,
  resourcesOfType,
  type TemplateRule,
} from './template-rules-cfn';

/** Every table is on-demand and expires its items by TTL. */
export const everyTableIsOnDemandWithTtl: TemplateRule = (template) =>
  resourcesOfType(template, 'AWS::DynamoDB::Table').flatMap(([id, table]) => {
    const violations: string[] = [];
    if (props(table).BillingMode !== 'PAY_PER_REQUEST') {
      violations.push(`${id}: not PAY_PER_REQUEST`);
    }
    const ttl = props(table).TimeToLiveSpecification;
    if (!isRecord(ttl) || ttl.Enabled !== true || !ttl.AttributeName) {
      violations.push(`${id}: TimeToLiveSpecification is not enabled on an attribute`);
    }
    return violations;
  });

/** Every log group has a retention, and every function's log group is declared (so it gets one). */
export const everyLogGroupHasRetention: TemplateRule = (template) => {
  const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
  const violations = logGroups
    .filter(([, group]) => !(numberOr(props(group).RetentionInDays, Number.NaN) > 0))
    .map(([id]) => `${id}: no RetentionInDays`);
  const declared = new Set(logGroups.map(([, group]) => props(group).LogGroupName));
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const config = props(fn).LoggingConfig;
    const custom = isRecord(config) ? config.LogGroup : undefined;
    const name = custom ?? `/aws/lambda/${String(props(fn).FunctionName)}`;
    const ref = refTarget(name);
    const isDeclared = ref
      ? template.Resources?.[ref]?.Type === 'AWS::Logs::LogGroup'
      : declared.has(name);
    if (!isDeclared) violations.push(`${id}: its log group is not declared in the template`);
  }
  return violations;
};
