/**
 * The CloudFormation resource specification, read from `@aws-cdk/aws-service-spec` (the CDK team's
 * database built from the current CloudFormation registry schemas), seen through the few shapes the
 * template validator needs, so the rest of the validator does not depend on that package's types.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';

/** A property's type as the specification gives it; `ref` names a nested property type. */
export type SpecType =
  | { readonly type: 'string'; readonly allowedValues?: readonly string[] }
  | { readonly type: 'integer'; readonly allowedValues?: readonly number[] }
  | { readonly type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { readonly type: 'ref'; readonly reference: { readonly $ref: string } }
  | { readonly type: 'array' | 'map'; readonly element: SpecType }
  | { readonly type: 'union'; readonly types: readonly SpecType[] };

/** One property of a resource or of a nested property type. */
export interface SpecProperty {
  readonly type: SpecType;
  readonly required?: boolean;
}

/** A resource type or a nested property type: a name and its properties. */
export interface SpecShape {
  readonly name: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
}

/** A resource type, with the attributes `Fn::GetAtt` can read. */
export interface SpecResource extends SpecShape {
  readonly cloudFormationType: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** What the validator asks of the specification. */
export interface CfnSpec {
  /** The resource type named `AWS::Service::Thing`, if CloudFormation has it. */
  resource(cloudFormationType: string): SpecResource | undefined;
  /** The nested property type a `ref` points at. */
  shape(reference: string): SpecShape | undefined;
}

let loaded: CfnSpec | undefined;

/**
 * The specification, loaded once per module registry: unzipping, parsing and indexing the 15 MB
 * database takes 0.6 s on an idle machine and up to 2 s on a busy one, so callers load it in
 * `beforeAll`.
 */
export function loadCfnSpec(): CfnSpec {
  if (loaded) return loaded;
  const db = loadAwsServiceSpecSync();
  loaded = {
    resource: (cloudFormationType) =>
      db.lookup('resource', 'cloudFormationType', 'equals', cloudFormationType)[0],
    shape: (reference) => {
      try {
        return db.get('typeDefinition', reference);
      } catch {
        return undefined; // tskb throws on an unknown id; the validator reports it instead.
      }
    },
  };
  return loaded;
}
