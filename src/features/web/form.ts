import { apiErrors } from '../../http/api-error.js';

/**
 * The fields of an `application/x-www-form-urlencoded` body. Only the names a form declares are read,
 * and a name sent twice is refused rather than one of its values picked.
 */
export class FormFields {
  constructor(private readonly params: URLSearchParams) {}

  /** The field's value; '' when absent. */
  text(name: string): string {
    const values = this.params.getAll(name);
    if (values.length > 1) throw apiErrors.invalidAttribute(name, 'the field was sent more than once.');
    return values[0] ?? '';
  }
}

/** Fastify content-type parser output for forms; anything else (a JSON body, none) is not a form. */
export function formOf(body: unknown): FormFields {
  if (body instanceof URLSearchParams) return new FormFields(body);
  throw apiErrors.unsupportedMediaType('not application/x-www-form-urlencoded');
}
