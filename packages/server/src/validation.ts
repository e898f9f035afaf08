import { Ajv, type Options as AjvOptions } from 'ajv';

/** Bodies are validated without type coercion (a string is not a number); query strings coerce. */
export function validatorCompiler() {
  const common: AjvOptions = { allErrors: false, useDefaults: true, removeAdditional: false, strict: false };
  const bodies = new Ajv({ ...common, coerceTypes: false });
  const queries = new Ajv({ ...common, coerceTypes: true });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? bodies : queries).compile(schema);
}
