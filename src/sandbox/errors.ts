/** The error a route handler throws to answer with an error envelope. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** Default error code of an HTTP status (used by faults that give only a status). */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_REQUEST';
    case 401:
      return 'INVALID_API_KEY';
    case 403:
      return 'INSUFFICIENT_PERMISSIONS';
    case 404:
      return 'RESOURCE_NOT_FOUND';
    case 409:
      return 'RESOURCE_LOCKED';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'RATE_LIMIT_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST';
  }
}

/** Default HTTP status of an error code (used by faults that give only a code). */
export function statusForCode(code: string): number {
  const map: Record<string, number> = {
    INVALID_REQUEST: 400,
    INVALID_API_KEY: 401,
    INSUFFICIENT_PERMISSIONS: 403,
    AGENT_NOT_FOUND: 404,
    RESOURCE_NOT_FOUND: 404,
    RESOURCE_LOCKED: 409,
    PAYLOAD_TOO_LARGE: 413,
    RATE_LIMIT_EXCEEDED: 429,
    INTERNAL_ERROR: 500,
  };
  return map[code] ?? 500;
}

export const agentNotFound = (id: string, field = 'agent_id') =>
  new ApiFailure(404, 'AGENT_NOT_FOUND', `Agent ${id} does not exist`, field);

export const notFound = (what: string, id: string, field: string) =>
  new ApiFailure(404, 'RESOURCE_NOT_FOUND', `${what} ${id} does not exist`, field);

export const invalid = (message: string, field?: string) =>
  new ApiFailure(400, 'INVALID_REQUEST', message, field);

export const locked = (message: string, field?: string) =>
  new ApiFailure(409, 'RESOURCE_LOCKED', message, field);
