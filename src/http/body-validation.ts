import { KindGuard, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { ApiError } from './api-error.js';
import { apiErrors } from './api-error.js';
import type { BodySchema } from './route.js';

/**
 * Checks a parsed JSON body against a route's schema and turns the first violation into the Ops
 * Manager error for it: an unknown field is INVALID_ATTRIBUTE, a missing one MISSING_ATTRIBUTE, a value
 * of the wrong type or shape INVALID_ATTRIBUTE naming the field.
 */
export class BodyValidator {
  readonly #check: TypeCheck<TSchema>;
  /** Most bodies are objects; a few (an access list's new entries) are arrays, as Ops Manager takes them. */
  readonly #takesArray: boolean;

  constructor(schema: TSchema) {
    this.#check = TypeCompiler.Compile(schema);
    this.#takesArray = KindGuard.IsArray(schema);
  }

  validate(body: unknown): unknown {
    // No body at all is an empty object (optional fields) or array; a JSON null or scalar, or an array
    // where an object belongs (or the reverse), is not the body's shape.
    const value = body === undefined ? (this.#takesArray ? [] : {}) : body;
    if (value === null || typeof value !== 'object' || Array.isArray(value) !== this.#takesArray) throw apiErrors.invalidJson();
    if (this.#check.Check(value)) return value;
    const first = this.#check.Errors(value).First();
    if (first === undefined) throw apiErrors.invalidJson();
    throw errorFor(first.type, first.path);
  }
}

/**
 * A route's body validation: its one schema, or the schema of the resource version the request's body
 * is read as (media-type.ts decides which), compiled once each.
 */
export class RouteBodyValidator {
  readonly #plain: BodyValidator | undefined;
  readonly #byVersion = new Map<string, BodyValidator>();

  constructor(body: Exclude<BodySchema, undefined>) {
    if (KindGuard.IsSchema(body)) {
      this.#plain = new BodyValidator(body);
      return;
    }
    this.#plain = undefined;
    for (const [version, schema] of Object.entries(body)) this.#byVersion.set(version, new BodyValidator(schema));
  }

  /** The versions that have a schema of their own; empty for a route with one schema for all. */
  get versions(): string[] {
    return [...this.#byVersion.keys()];
  }

  validate(body: unknown, version: string | undefined): unknown {
    const validator = this.#plain ?? (version === undefined ? undefined : this.#byVersion.get(version));
    // The route table pairs each version it serves with a schema (server.ts checks it at registration).
    if (validator === undefined) throw new Error(`no body schema for version ${version ?? '(none)'}`);
    return validator.validate(body);
  }
}

function errorFor(type: ValueErrorType, path: string): ApiError {
  // TypeBox reports a missing or an unexpected property at the property's own path.
  const attribute = attributeName(path);
  return type === ValueErrorType.ObjectRequiredProperty ? apiErrors.missingAttribute(attribute) : apiErrors.invalidAttribute(attribute);
}

/** `/accessListIps/2` → `accessListIps`; `/source/groupId` → `source.groupId`. */
function attributeName(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && !/^\d+$/.test(part));
  return parts.length === 0 ? 'body' : parts.join('.');
}
