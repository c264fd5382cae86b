/**
 * The template shapes the deploy template rules read, and the small readers they share. Intrinsic
 * functions are read structurally (`Fn::GetAtt`, `Ref`) and never resolved against AWS.
 */

/** One resource of a CloudFormation template, loosely typed: rules check shapes themselves. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

/** The parts of a CloudFormation template the rules read. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

/** A rule: the template in, violations out. */
export type TemplateRule = (template: CfnTemplate) => string[];

/** A resource with its logical id. */
export type Entry = [id: string, resource: CfnResource];

/** True for a plain JSON object (not null, not a list). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value CloudFormation accepts as one item or a list, always as a list. */
export const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A resource's properties, empty when it has none. */
export const props = (resource: CfnResource): Record<string, unknown> => resource.Properties ?? {};

/** The properties of the resource `id`, empty when it is missing. */
export const propsOf = (template: CfnTemplate, id: string): Record<string, unknown> =>
  template.Resources?.[id]?.Properties ?? {};

/** Every resource of one type, with its logical id. */
export const resourcesOfType = (template: CfnTemplate, type: string): Entry[] =>
  Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);

/** The logical id in `{"Fn::GetAtt": [id, attribute]}` (or `"id.attribute"`), if the attribute matches. */
export function getAttTarget(
  value: unknown,
  attribute: (name: string) => boolean,
): string | undefined {
  if (!isRecord(value)) return undefined;
  const raw = value['Fn::GetAtt'];
  const [id, attr] = typeof raw === 'string' ? raw.split('.', 2) : Array.isArray(raw) ? raw : [];
  return typeof id === 'string' && typeof attr === 'string' && attribute(attr) ? id : undefined;
}

/** The logical id in `{"Ref": id}`, if any. */
export function refTarget(value: unknown): string | undefined {
  return isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
}

/**
 * A numeric property (CloudFormation accepts numbers as strings too); `fallback` when it is absent,
 * NaN when it is present but not a number, so a rule that compares it fails rather than passes.
 */
export function numberOr(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : Number.NaN;
}
