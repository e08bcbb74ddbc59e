"""Parameter detail: pipeline input read from Get-Command's parameter sets (real pypsrp → simulator)."""

from __future__ import annotations


def test_detail_reads_pipeline_input_from_the_parameter_sets(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    detail = session.ensure_detail("Remove-MailboxPermission")
    assert detail is not None
    taking = {p.name for p in detail.parameters if p.pipeline}
    assert taking == {"Identity", "AccessRights", "User"}        # beyond Identity: what Get-Command said
