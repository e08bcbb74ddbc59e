"""Exchange Online's REST door (``InvokeCommand``, research/exo-modern.md §1): the wire client, parameter
encoding, result decoding, remote pipelines fed object by object, and ``session.RestSession`` over them.
Blocking I/O, no UI, no pypsrp; tokens come from tui.remoting.auth.

    client = RestClient(base, provider, tenant_id, account=upn, anchor=anchor_for(token, home_tenant_id))
    for page in client.invoke("Get-Mailbox", encode_parameters(bound), cancel=stop): ...
"""

from __future__ import annotations

from tui.remoting.rest.client import Page, RestCancelled, RestClient, anchor_for
from tui.remoting.rest.decode import decode_record, decode_records, type_names
from tui.remoting.rest.errors import RestCommandError
from tui.remoting.rest.params import UnsendableParameter, encode_parameters, sanitize_filter, split_common

__all__ = ["Page", "RestCancelled", "RestClient", "RestCommandError", "UnsendableParameter", "anchor_for",
           "decode_record", "decode_records", "encode_parameters", "sanitize_filter", "split_common",
           "type_names"]
