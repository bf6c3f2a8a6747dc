import { errors, RampartError } from '../../../core/errors.js';

/** The access spec's error codes beyond the shared ones (docs/access.md lists them all). */
export const accessErrors = {
  entitlementExceeded: (message: string) => new RampartError({ code: 'entitlement_exceeded', status: 409, message, fault: 'policy' }),
  /** A request the schema accepts but the model refuses: answered 422 validation_error on this surface. */
  invalid: (message: string) => errors.validation(message),
  conflict: (message: string) => errors.conflict(message),
  notFound: (what: string) => errors.notFound(`${what} not found`),
};
