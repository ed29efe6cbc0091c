/** Shown for unknown routes and for pages the user's role may not see. */
import { Link } from 'react-router';

/** A short explanation with a way back home. */
export function NotFoundView({ forbidden = false }: { forbidden?: boolean }) {
  return (
    <div className="page">
      <section className="card narrow">
        <h1>{forbidden ? 'Not allowed' : 'Page not found'}</h1>
        <p className="muted">
          {forbidden ? 'This page is for administrators only.' : 'There is no page at this address.'}
        </p>
        <Link className="btn" to="/">
          Back to the console
        </Link>
      </section>
    </div>
  );
}
