// Package serve is medqr's upload application: a local web page, and the
// JSON API behind it, for encrypting X-rays into QR codes and decrypting
// them back. It runs package store, the pipeline the CLI runs, and
// re-implements none of it: the same files in the store folder, the same
// refusals, mapped to HTTP statuses (400 bad input, 401 no or wrong access
// token, 403 cross-site request, 413 upload too large, 422 wrong key or
// damaged data, 503 busy; 500 only for a fault of the server itself).
//
// Contract:
//
//   - Every request needs the access token: "Authorization: Bearer TOKEN"
//     (API clients), or the medqr_token cookie (the browser), which a GET
//     with "?token=TOKEN" sets (SameSite=Strict, HttpOnly) before
//     redirecting to the same URL without the token.
//   - A state-changing request authenticated by the cookie must come from
//     the page itself: same origin (http.CrossOriginProtection) and the
//     page's CSRF token in the X-CSRF-Token header.
//   - The store folder receives the QR PNG(s) and the record of each
//     encryption, never a key file: the key is in the response only. No key,
//     passphrase, identity or decrypted image outlives its response.
//   - Uploads are bounded (Config.MaxUpload per request) and at most
//     Config.Workers encryptions or decryptions run at once, each holding
//     its upload in memory only while it runs; requests beyond the workers
//     wait (up to Config.Queue of them, then 503), so a burst of uploads
//     neither exhausts memory nor delays the pages, which never wait.
//   - Every response carries a strict Content-Security-Policy and
//     X-Content-Type-Options: nosniff; responses other than the embedded
//     static assets carry Cache-Control: no-store.
//
// The page, its style sheet and script are embedded (web/): nothing is
// loaded from outside the server. docs/serve.md documents the API and the
// security model.
package serve
