import { useConnection } from '../stores/connectionStore.js';

/**
 * What the window shows instead of its views when the host no longer knows this browser's session
 * (GET /api/connection said 401): how to get back in. The same words as the host's sign-in page.
 */
export function SignedOut() {
  const why = useConnection((s) => s.signedOut);
  return (
    <main className="main signed-out" data-testid="signed-out">
      <section className="panel signed-out-card">
        <h2>{why === 'signed-out' ? 'You signed out' : 'This window is signed out'}</h2>
        {why !== 'signed-out' && (
          <p>
            Its session has ended: it was signed out in another window, ended from the Health view, left without an open window for too
            long, or the host restarted.
          </p>
        )}
        <p>
          Open the link printed by <code>alicia serve</code> (it is also in <code>runtime.json</code> as <code>http.url</code>).
        </p>
      </section>
    </main>
  );
}
