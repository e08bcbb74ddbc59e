"""Every use of a private pypsrp attribute, in one place, for the version it was written against.

pypsrp 0.9 has no public way to (1) send a ready-made PSRP message through a ``PowerShell`` (the
importer drives GetCommandMetadata receive by receive to report progress), (2) get at the
``requests.Session`` before the first request (the redirect and throttling hooks must be on it
before anything leaves), (3) keep an output object's CLIXML as text instead of deserializing it
(``defer_output``: exohop reads it itself, 30× faster, see ``tui.remoting.clixml``) or (4) decode
``_xHHHH_`` escapes the way its deserializer does. If pypsrp changes, this import fails with a message
naming this module instead of the app misbehaving somewhere deep in a session.
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any

import requests
from pypsrp.complex_objects import GenericComplexObject, ObjectMeta
from pypsrp.exceptions import SerializationError
from pypsrp.powershell import Fragmenter, PowerShell, RunspacePool
from pypsrp.serializer import Serializer

log = logging.getLogger(__name__)

SUPPORTED = "0.9."
_found = version("pypsrp")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/remoting/pypsrp_compat.py was written for pypsrp {SUPPORTED}x and found {_found}: "
                      "check its private calls (PowerShell._invoke, transport._build_session, "
                      "RunspacePool._fragmenter, Serializer._deserialize_string) and the pin")
if not callable(getattr(PowerShell, "_invoke", None)):
    raise ImportError("pypsrp's PowerShell._invoke is gone: tui/remoting/pypsrp_compat.py needs updating")
if not callable(getattr(Serializer, "_deserialize_string", None)):
    raise ImportError("pypsrp's Serializer._deserialize_string is gone: tui/remoting/pypsrp_compat.py needs updating")


def invoke_message(ps: PowerShell, message: Any) -> None:
    """Start ``ps`` with an arbitrary PSRP message (what ``get_command_metadata`` does inside)."""
    ps._invoke(message)


def build_session(transport: Any) -> requests.Session:
    """The ``requests.Session`` pypsrp's transport would build lazily on its first send, built now."""
    session: requests.Session = transport._build_session()
    return session


_strings = Serializer()


def unescape_string(text: str) -> str:
    """A CLIXML string's ``_xHHHH_`` escapes decoded exactly as pypsrp decodes them (it raises on bad ones)."""
    result: str = _strings._deserialize_string(text)
    return result


class RawOutput:
    """One PIPELINE_OUTPUT message's CLIXML, as ``PowerShell.output`` holds it on a deferring pool."""

    __slots__ = ("cipher", "xml")

    def __init__(self, xml: str, cipher: Any) -> None:
        self.xml = xml
        self.cipher = cipher      # the session key, should the object hold a SecureString

    def __repr__(self) -> str:
        return f"RawOutput({len(self.xml)} characters)"


class DeferringSerializer:
    """The pool's serializer, except that an output message's text is kept as it is (``RawOutput``).

    pypsrp's ``Message.unpack`` calls ``deserialize(text)`` without metadata only for PIPELINE_OUTPUT
    (and PIPELINE_INPUT, which a client never receives); everything else keeps pypsrp's path.
    """

    def __init__(self, inner: Serializer) -> None:
        self._inner = inner

    def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
        if metadata is None and isinstance(element, str):
            return RawOutput(element, self._inner.cipher)
        return self._inner.deserialize(element, metadata, clear)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def defer_output(pool: RunspacePool) -> None:
    """From now on ``pool``'s pipelines put ``RawOutput`` in ``output``; fragments, states, errors and
    the other streams stay pypsrp's. Whoever reads ``output`` decodes it (``values.output_value``)."""
    fragmenter: Fragmenter = pool._fragmenter
    if not isinstance(fragmenter.serializer, DeferringSerializer):
        fragmenter.serializer = DeferringSerializer(fragmenter.serializer)  # type: ignore[assignment]


def pypsrp_output(raw: RawOutput) -> Any:
    """What pypsrp's ``Message.unpack`` would have put in ``output`` for this message (its own fallback
    to a generic object included). Raises what pypsrp raises."""
    serializer = Serializer()
    serializer.cipher = raw.cipher
    try:
        return serializer.deserialize(raw.xml)
    except SerializationError as err:
        log.debug("output object read as a generic object: %s", err)
        return serializer.deserialize(raw.xml, ObjectMeta("ObjDynamic", object=GenericComplexObject))
