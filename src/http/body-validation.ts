import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { ApiError } from './api-error.js';
import { apiErrors } from './api-error.js';

/**
 * Checks a parsed JSON body against a route's schema and turns the first violation into the Ops
 * Manager error for it: an unknown field is INVALID_ATTRIBUTE, a missing one MISSING_ATTRIBUTE, a value
 * of the wrong type or shape INVALID_ATTRIBUTE naming the field.
 */
export class BodyValidator {
  readonly #check: TypeCheck<TSchema>;

  constructor(schema: TSchema) {
    this.#check = TypeCompiler.Compile(schema);
  }

  validate(body: unknown): unknown {
    // No body at all is an empty object (optional fields); a JSON null, array or scalar is not an object.
    const value = body === undefined ? {} : body;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw apiErrors.invalidJson();
    if (this.#check.Check(value)) return value;
    const first = this.#check.Errors(value).First();
    if (first === undefined) throw apiErrors.invalidJson();
    throw errorFor(first.type, first.path);
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
