"""The session layer: delegated Exchange remote-PowerShell sessions over pypsrp (blocking I/O, no UI).

Public API (contracts.md): ``session.DelegatedSession``, ``pool.SessionPool``, ``errors.RemotingError``,
``events.*``; ``endpoints`` builds URIs, ``importer`` the catalog (GetCommandMetadata + cache),
``invoke`` streams one pipeline, ``transcript`` writes the audit log.
"""
