/**
 * What a browser without a session sees instead of the window (HTTP 401): where to get in. One
 * static page, no script, light or dark after the system's setting. `wrongToken`: the request
 * carried a token that is not this host's (a link from before the host restarted).
 */
export function signInPage(opts: { wrongToken: boolean }): string {
  const lead = opts.wrongToken
    ? `<p class="lead">That link's token is not this host's: it makes a new one each time it starts.</p>`
    : `<p class="lead">This browser is not signed in to the Alicia host, or its session has ended.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Alicia Control Center</title>
<style>
/* the window's own palette (renderer/src/styles/theme.css), light or dark after the system */
:root { color-scheme: light dark; --bg: #f4f5f7; --panel: #ffffff; --text: #1f2328; --muted: #656d76; --border: #e1e4e8; --accent: #2f6feb; --code: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1216; --panel: #161b22; --text: #e6edf3; --muted: #8d96a0; --border: #2a313a; --accent: #5a9bff; --code: #0d1117; } }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--text);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 34em; margin: 24px; padding: 28px 32px; background: var(--panel); border: 1px solid var(--border); border-radius: 10px; }
h1 { margin: 0 0 12px; font-size: 20px; display: flex; align-items: center; gap: 10px; }
h1 span { color: var(--accent); }
.lead { margin: 0 0 14px; }
p { margin: 0 0 10px; }
.muted { color: var(--muted); font-size: 13px; }
code { font: 13px ui-monospace, "SFMono-Regular", Menlo, monospace; background: var(--code); padding: 1px 5px; border-radius: 4px; }
</style></head>
<body><main>
<h1><span aria-hidden="true">◉</span> Alicia Control Center</h1>
${lead}
<p>Open the link printed by <code>alicia serve</code> (it is also in <code>runtime.json</code> as <code>http.url</code>).</p>
<p class="muted">The link signs this browser in. The session ends when you sign out, when no window has been open for a while, or when the host restarts; then open the link again.</p>
</main></body></html>
`;
}

/** The sign-in page runs nothing and loads nothing. */
export const SIGN_IN_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
