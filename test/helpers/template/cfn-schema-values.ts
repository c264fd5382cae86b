/**
 * Checks one value of a template against the type the CloudFormation specification gives it,
 * recursively through lists, maps and nested property types. CloudFormation itself turns scalars
 * into the type a property wants ("30" is a number, 30 is a string), so only shapes that it would
 * refuse count as problems. An intrinsic function stands for whatever it can produce.
 */
import type { CfnSpec, SpecShape, SpecType } from './cfn-schema-spec';
import { isRecord } from './template-rules-cfn';

/** What an intrinsic function can produce: one string, one number, a list, or anything. */
type Produces = 'string' | 'number' | 'list' | 'any';

const INTRINSICS: Readonly<Record<string, Produces>> = {
  Ref: 'any', // a resource's id, a parameter (which may be a list), a pseudo parameter
  'Fn::GetAtt': 'any',
  'Fn::If': 'any',
  'Fn::Select': 'any',
  'Fn::FindInMap': 'any',
  'Fn::ImportValue': 'any',
  'Fn::Transform': 'any',
  'Fn::Join': 'string',
  'Fn::Sub': 'string',
  'Fn::Base64': 'string',
  'Fn::ToJsonString': 'string',
  'Fn::Length': 'number',
  'Fn::Split': 'list',
  'Fn::GetAZs': 'list',
  'Fn::Cidr': 'list',
};

/** The name of the intrinsic function `value` is (`Ref`, `Fn::Join`...), if it is one. */
export function intrinsicName(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  const [key] = keys;
  return keys.length === 1 && key !== undefined && key in INTRINSICS ? key : undefined;
}

/** The legacy tag type: a Key and a Value. */
const TAG: SpecShape = {
  name: 'Tag',
  properties: {
    Key: { type: { type: 'string' }, required: true },
    Value: { type: { type: 'string' }, required: true },
  },
};

const isScalarType = (type: SpecType): boolean =>
  ['string', 'number', 'integer', 'boolean', 'date-time'].includes(type.type);

/** Whether an intrinsic that produces `produces` can stand where `type` is expected. */
function intrinsicFits(produces: Produces, type: SpecType): boolean {
  if (produces === 'any' || type.type === 'json') return true;
  if (type.type === 'union') return type.types.some((member) => intrinsicFits(produces, member));
  return produces === 'list' ? type.type === 'array' : isScalarType(type);
}

/** A short human name for a spec type, for messages. */
export function describeType(type: SpecType, spec: CfnSpec): string {
  switch (type.type) {
    case 'ref':
      return spec.shape(type.reference.$ref)?.name ?? `unknown type ${type.reference.$ref}`;
    case 'array':
      return `list of ${describeType(type.element, spec)}`;
    case 'map':
      return `map of ${describeType(type.element, spec)}`;
    case 'union':
      return type.types.map((member) => describeType(member, spec)).join(' or ');
    default:
      return type.type;
  }
}

/** What a value is, for messages: `string "abc"`, `list`, `object`, `Fn::Join (a string)`. */
function describeValue(value: unknown): string {
  const intrinsic = intrinsicName(value);
  if (intrinsic) return `${intrinsic} (${INTRINSICS[intrinsic]})`;
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (isRecord(value)) return 'object';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;
}

const isNumeric = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) ||
  (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));

/** Whether `value` has the outer shape `type` wants (no recursion into its items). */
function fitsShallow(value: unknown, type: SpecType): boolean {
  switch (type.type) {
    case 'string':
    case 'date-time':
      return ['string', 'number', 'boolean'].includes(typeof value);
    case 'number':
      return isNumeric(value);
    case 'integer':
      return isNumeric(value) && Number.isInteger(Number(value));
    case 'boolean':
      return value === true || value === false || value === 'true' || value === 'false';
    case 'json':
      return value !== undefined;
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'union':
      return type.types.some((member) => fitsShallow(value, member));
    default: // map, ref, tag: an object
      return isRecord(value);
  }
}

/** Problems of `value` where the specification expects `type`; `path` names it in messages. */
export function valueProblems(
  value: unknown,
  type: SpecType,
  path: string,
  spec: CfnSpec,
): string[] {
  const intrinsic = intrinsicName(value);
  if (intrinsic && isRecord(value)) {
    const produces = INTRINSICS[intrinsic] ?? 'any';
    if (!intrinsicFits(produces, type)) {
      return [`${path}: expected ${describeType(type, spec)}, got ${describeValue(value)}`];
    }
    const branches =
      intrinsic === 'Fn::If' && Array.isArray(value[intrinsic]) ? value[intrinsic] : [];
    return branches
      .slice(1)
      .filter((branch) => intrinsicName(branch) !== 'Ref' || branch.Ref !== 'AWS::NoValue')
      .flatMap((branch, i) => valueProblems(branch, type, `${path}[Fn::If ${i + 1}]`, spec));
  }
  if (!fitsShallow(value, type)) {
    return [`${path}: expected ${describeType(type, spec)}, got ${describeValue(value)}`];
  }
  switch (type.type) {
    case 'string':
    case 'integer': {
      const allowed: readonly unknown[] | undefined = type.allowedValues;
      const given = type.type === 'integer' ? Number(value) : value;
      return allowed && !allowed.includes(given)
        ? [`${path}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`]
        : [];
    }
    case 'array':
      return (value as unknown[]).flatMap((item, i) =>
        valueProblems(item, type.element, `${path}[${i}]`, spec),
      );
    case 'map':
      return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
        valueProblems(item, type.element, `${path}.${key}`, spec),
      );
    case 'tag':
      return shapeProblems(value, TAG, path, spec);
    case 'ref': {
      const shape = spec.shape(type.reference.$ref);
      return shape
        ? shapeProblems(value, shape, path, spec)
        : [`${path}: the specification lacks type ${type.reference.$ref}`];
    }
    case 'union': {
      // Check against the members whose outer shape fits; `json` (which fits anything) only when
      // no structured member does, so a list in `list of KeySchema | json` is still checked.
      const fitting = type.types.filter((member) => fitsShallow(value, member));
      const specific = fitting.filter((member) => member.type !== 'json');
      const results = (specific.length > 0 ? specific : fitting).map((member) =>
        valueProblems(value, member, path, spec),
      );
      return results.some((problems) => problems.length === 0) ? [] : (results[0] ?? []);
    }
    default:
      return [];
  }
}

/** Problems of an object against a resource type or nested property type. */
export function shapeProblems(
  value: unknown,
  shape: SpecShape,
  path: string,
  spec: CfnSpec,
  acceptsUnknown = false,
): string[] {
  // A resource type is best known by its CloudFormation name, a nested type by its own.
  const label = 'cloudFormationType' in shape ? String(shape.cloudFormationType) : shape.name;
  if (!isRecord(value)) return [`${path}: expected ${label}, got ${describeValue(value)}`];
  const problems: string[] = [];
  for (const [name, property] of Object.entries(shape.properties)) {
    if (property.required && value[name] === undefined) {
      problems.push(`${path}: missing required property ${name} of ${label}`);
    }
  }
  for (const [name, item] of Object.entries(value)) {
    const property = shape.properties[name];
    if (property) {
      problems.push(...valueProblems(item, property.type, `${path}.${name}`, spec));
    } else if (!acceptsUnknown) {
      const hint = closestName(name, Object.keys(shape.properties));
      problems.push(
        `${path}: unknown property ${name} of ${label}${hint ? ` (did you mean ${hint}?)` : ''}`,
      );
    }
  }
  return problems;
}

/** The known name within two edits of `name` (a typo), if there is one. */
function closestName(name: string, known: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        row[j] = Math.min(
          (row[j - 1] ?? 0) + 1,
          (previous[j] ?? 0) + 1,
          (previous[j - 1] ?? 0) + cost,
        );
      }
      previous = row;
    }
    return previous[b.length] ?? Number.POSITIVE_INFINITY;
  };
  const lower = name.toLowerCase();
  return known.find((candidate) => distance(lower, candidate.toLowerCase()) <= 2);
}
