"""The web app: Vietnamese pages and a JSON API over `workflow`, behind a login.

Modules:
    app.py     composition root: `create_app(runtime)`, errors → HTTP statuses
    auth.py    server-side sessions (signed cookie), bearer tokens and HTTP Basic for /api/, users and roles
    login.py   /login and /logout: CSRF-protected forms, throttled password checks
    headers.py security headers (CSP without inline script, frame-ancestors, HSTS over https)
    credentials_api.py  sessions and API tokens: /api/v1/sessions, /api/v1/tokens, /admin/security
    access.py  who reads personal data; which steps a user is offered
    forms.py   step forms built from `available_steps`, read back into an engine payload
    pages.py   HTML pages; render.py the Jinja2 environment
    admin_pages.py  users, dead letters, reassignment (administrators)
    audit_pages.py  chain check, anchor upload, cross-dossier log search (procuracy)
    api/       the JSON API under /api/v1, one module per area (`router(rt)`), aliases under /api
    errors.py  the one JSON error shape of the API and the handlers mapping every failure onto it
    limits.py  413 for request bodies over `max_body_bytes`

Roles (from the `app_user` row; the acting `Actor` is always the logged-in user):
    staff, supervisor  their agency's inbox first; take steps (the engine decides and says why not)
    procurator         reads every dossier and log, verifies the chains, exports the log; never acts
    admin              reassigns abolished agencies' work, sees dead letters; never sees personal data

Every route but /login, /logout and /healthz needs a session (pages redirect to /login, the API
answers 401). Personal data is shown only on a dossier's page and detail (see `access.py`).
"""
