// The one REST caller of the end-to-end suites and the benchmarks: a bearer-authenticated JSON call
// to `<base>/api/v1<path>` that answers with the status and the parsed body. Judging the answer is
// the caller's business (the suites parse bodies with the protocol's schemas).

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export async function callApi(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
