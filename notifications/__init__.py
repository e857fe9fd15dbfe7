"""WHO is told WHAT: outbox rows (written by the engine and the deadline sweep) become messages.

- ``messages``  ``render(kind, context, lang)`` -> subject and body, from ``templates/`` (vi, en)
- ``channels``  inbox (always), e-mail (SMTP), webhook (HMAC-signed); ``verify_signature``
- ``worker``    ``deliver_pending``: fan-out, claim, send, retry with backoff, dead letters
- ``testing``   real local SMTP and HTTP receivers for tests and demos
"""
