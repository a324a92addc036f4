import { Link } from 'wouter';

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link href="/">Back to the webhooks</Link>
      </p>
    </section>
  );
}
