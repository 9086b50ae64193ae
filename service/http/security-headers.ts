/**
 * Headers every response carries, whichever path answers it (the Koa app, the fast route,
 * a refused connection): no MIME sniffing, no framing by other sites, no referrer, and a
 * Content-Security-Policy. API answers allow nothing to load; the two pages the service
 * serves (the dashboard and Swagger UI at /docs) get a policy that allows exactly what
 * they use — their own scripts and styles, inline styles, data: images, requests to the
 * service itself.
 */

/** For any response; pages replace the Content-Security-Policy with PAGE_CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** The dashboard and /docs: scripts and styles from the service only (inline styles are Swagger UI's and the charts'). */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
