import { errors } from '../../../core/errors.js';

/** The access surface's codes (docs/access.md): validation is 422 here, and `conflict` 409 is ours. */
export const accessErrors = {
  invalid: (message: string) => errors.validation(message),
  conflict: (message: string) => errors.conflict(message),
  notFound: (what: string) => errors.notFound(`${what} not found`),
};
