/** The credentials every non-public route accepts; any one of them is enough. */
export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token: `Authorization: Bearer <jwt>`.',
  },
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'rampart_session',
    description: 'The browser session cookie set at login.',
  },
  apiKeyAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'An API key for scripts: `Authorization: ApiKey <secret>` (the whole header value, scheme included).',
  },
};

export const securityRequirement = Object.keys(securitySchemes).map((name) => ({ [name]: [] as string[] }));
