"""GetCommandMetadata's replies written by metadata_reply are byte for byte what psrpcore writes for them."""

from __future__ import annotations

from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st
from psrpcore import ServerRunspacePool
from psrpcore.types import serialize

from tui.catalog import CmdletInfo, ParameterInfo
from tui.sim.builtin_catalog import builtin_catalog
from tui.sim.metadata_reply import metadata_clixml
from tui.sim.runspace import command_metadata

_POOL = ServerRunspacePool()


def psrpcore_bytes(cmdlet: CmdletInfo) -> bytes:
    """What psrpcore's write_output queued for the reply (its prepare_message: serialize, then tostring)."""
    return ElementTree.tostring(serialize(command_metadata(cmdlet), _POOL._cipher), encoding="utf-8", method="xml")


def test_every_builtin_cmdlets_reply_is_psrpcores_bytes() -> None:
    catalog = builtin_catalog()
    assert len(catalog) > 700
    for cmdlet in catalog:
        assert metadata_clixml(cmdlet) == psrpcore_bytes(cmdlet), cmdlet.name


def test_a_cmdlet_without_parameters_and_one_with_a_repeated_parameter() -> None:
    bare = CmdletInfo(name="Get-Nothing")
    twice = CmdletInfo(name="Set-Twice", parameters=(
        ParameterInfo("Identity", "MailboxIdParameter"), ParameterInfo("Force", "SwitchParameter", switch=True),
        ParameterInfo("Identity", "String[]", aliases=("id",))))
    assert metadata_clixml(bare) == psrpcore_bytes(bare)
    assert metadata_clixml(twice) == psrpcore_bytes(twice)


_odd_text = st.text(alphabet=st.sampled_from(["a", "Z", "_", "x", "X", "&", "<", ">", '"', "'", " ", "\t", "\n",
                                              "\x00", "\x1f", "\x7f", "\x85", "é", "€", "\ud800", "😀", "[", "]",
                                              ".", "-"]), max_size=12)
_parameter = st.builds(ParameterInfo, name=_odd_text, type=st.one_of(_odd_text, st.sampled_from(
    ["String", "int", "Boolean[]", "SwitchParameter", "System.Uri", "MailboxIdParameter[]"])),
    switch=st.booleans(), aliases=st.lists(_odd_text, max_size=3).map(tuple))


@settings(max_examples=200, deadline=None)
@given(name=_odd_text, parameters=st.lists(_parameter, max_size=5).map(tuple))
def test_odd_names_types_and_aliases_are_written_as_psrpcore_writes_them(
        name: str, parameters: tuple[ParameterInfo, ...]) -> None:
    cmdlet = CmdletInfo(name=name, parameters=parameters)
    assert metadata_clixml(cmdlet) == psrpcore_bytes(cmdlet)


def test_a_cmdlets_reply_is_written_once() -> None:
    cmdlet = builtin_catalog().get("Get-Mailbox")
    assert cmdlet is not None
    assert metadata_clixml(cmdlet) is metadata_clixml(cmdlet)
    assert metadata_clixml(CmdletInfo(name=cmdlet.name, synopsis=cmdlet.synopsis,
                                      parameter_sets=cmdlet.parameter_sets,
                                      parameters=cmdlet.parameters)) is metadata_clixml(cmdlet)
