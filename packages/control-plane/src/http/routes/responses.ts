// Error responses every API route may give, declared once so the OpenAPI document shows the error
// body shape next to each route's success shape.
import { ErrorBody } from '@rexec/protocol';

export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;
