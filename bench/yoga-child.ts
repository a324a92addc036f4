// The bare graphql-yoga server the API phase compares createIssue with: one trivial mutation,
// yoga's defaults otherwise, in its own process on 127.0.0.1.
import http from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Mutation { noop(x: Int): Int }
    `,
    resolvers: {
      Query: { ok: () => true },
      Mutation: { noop: (_root: unknown, args: { x?: number | null }) => args.x ?? 0 },
    },
  }),
  graphiql: false,
  landingPage: false,
  logging: false,
});

const server = http.createServer(yoga);
server.keepAliveTimeout = 65_000;
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send!({ ready: true, port });
});
