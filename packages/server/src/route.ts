/**
 * Registers a route of the protocol table (packages/protocol ROUTES) with its schemas, its session
 * check and typed body, query and result.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { ErrorBody, ROUTES, type RouteName } from '@tessera/protocol';
import type { ServerContext, Session } from './context.js';
import { authenticate } from './sessions.js';

type Routes = typeof ROUTES;
type StaticOf<T> = T extends TSchema ? Static<T> : undefined;
export type BodyOf<N extends RouteName> = Routes[N] extends { body: infer B } ? StaticOf<B> : undefined;
export type QueryOf<N extends RouteName> = Routes[N] extends { querystring: infer Q }
  ? StaticOf<Q>
  : undefined;
export type ResultOf<N extends RouteName> = Routes[N] extends { status: 204 }
  ? void
  : Routes[N] extends { response: infer S }
    ? StaticOf<S>
    : void;

export interface Call<N extends RouteName> {
  body: BodyOf<N>;
  query: QueryOf<N>;
  session: Routes[N]['auth'] extends 'none' ? null : Session;
  request: FastifyRequest;
  reply: FastifyReply;
}

export function handle<N extends RouteName>(
  app: FastifyInstance,
  ctx: ServerContext,
  name: N,
  fn: (call: Call<N>) => Promise<ResultOf<N>>,
  options: { bodyLimit?: number } = {},
): void {
  const spec = ROUTES[name] as Routes[RouteName];
  const response: Record<string, TSchema> = { '4xx': ErrorBody, '5xx': ErrorBody };
  if ('response' in spec && spec.response) response[spec.status] = spec.response;
  app.route({
    method: spec.method,
    url: spec.url,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    schema: {
      operationId: name,
      summary: spec.summary,
      ...('body' in spec && spec.body ? { body: spec.body } : {}),
      ...('querystring' in spec && spec.querystring ? { querystring: spec.querystring } : {}),
      response,
      ...(spec.auth === 'none' ? {} : { security: [{ bearer: [] }, { cookie: [] }] }),
      ...(spec.auth === 'trusted' ? { description: 'Trusted devices only.' } : {}),
    },
    handler: async (request, reply) => {
      const session = spec.auth === 'none' ? null : await authenticate(ctx, request, spec.auth);
      const result = await fn({
        body: request.body,
        query: request.query,
        session,
        request,
        reply,
      } as unknown as Call<N>);
      if (reply.sent) return reply;
      if (spec.status === 204) return reply.code(204).send();
      return result;
    },
  });
}
