"""Pipeline input in parameter detail: from CommandParameterSetInfo.Parameters, the Identity rule only as fallback."""

from __future__ import annotations

from tui.catalog import CmdletInfo, ParameterInfo
from tui.remoting.detail import detail_from_records
from tui.shell.records import Record

BASE = CmdletInfo("Set-Thing", parameters=(ParameterInfo("Identity", type="ThingIdParameter"),
                                            ParameterInfo("Owner", type="RecipientIdParameter")))
LINE = "Set-Thing [-Identity] <ThingIdParameter> [-Owner <RecipientIdParameter>] [<CommonParameters>]"


def _param(name: str, by_value: bool, by_name: bool) -> Record:
    return Record({"Name": name, "ValueFromPipeline": by_value, "ValueFromPipelineByPropertyName": by_name})


def test_parameter_sets_say_which_parameters_take_pipeline_input() -> None:
    params = [_param("Identity", False, False), _param("Owner", False, True)]
    rec = Record({"Name": "Set-Thing", "ParameterSets": [Record({"Name": "Default", "IsDefault": True,
                                                                 "Parameters": params}, text=LINE)]})
    detail = detail_from_records(BASE, [rec])
    assert detail is not None
    owner, identity = detail.parameter("Owner"), detail.parameter("Identity")
    assert owner is not None and owner.pipeline                  # by property name counts
    assert identity is not None and not identity.pipeline         # the service said no: no guessing


def test_without_parameter_lists_identity_is_assumed_to_take_pipeline_input() -> None:
    rec = Record({"Name": "Set-Thing", "ParameterSets": [Record({"Name": "Default", "IsDefault": True}, text=LINE)]})
    detail = detail_from_records(BASE, [rec])
    assert detail is not None
    identity, owner = detail.parameter("Identity"), detail.parameter("Owner")
    assert identity is not None and identity.pipeline and owner is not None and not owner.pipeline


def test_parameters_sent_as_bare_strings_fall_back_to_the_identity_rule() -> None:
    # Deeper than the serialization depth, the service sends CommandParameterInfo as its ToString().
    rec = Record({"Name": "Set-Thing", "ParameterSets": [Record({"Name": "Default", "IsDefault": True,
                                                                 "Parameters": ["Identity", "Owner"]}, text=LINE)]})
    detail = detail_from_records(BASE, [rec])
    assert detail is not None
    identity = detail.parameter("Identity")
    assert identity is not None and identity.pipeline
