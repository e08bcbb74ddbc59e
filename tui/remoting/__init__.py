"""The session layer: one tenant's session as one account, over either wire (blocking I/O, no UI).

Public API (contracts.md): ``pool.SessionPool`` (``open_session_for`` picks the transport from the
account), ``session_core.SessionCore`` (what every session does above the wire: run → plan → local
suffix, transcript, catalog cache), its transports ``session.DelegatedSession`` (remote PowerShell over
pypsrp) and ``rest.session.RestSession`` (Exchange Online's REST InvokeCommand), ``auth`` (OAuth sign-in
with msal, tokens per customer tenant), ``errors.RemotingError``, ``events.*``; ``endpoints`` builds
PSRP URIs, ``importer`` the PSRP catalog (GetCommandMetadata), ``shipped_catalog`` the REST one,
``catalog_cache`` keeps either, ``invoke`` streams one PSRP pipeline, ``transcript`` writes the audit log.
"""
