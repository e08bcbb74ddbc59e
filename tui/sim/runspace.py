"""psrpcore glue: one ``Shell`` per WS-Management shell = one PSRP RunspacePool on the server side.

psrpcore is sans-I/O and not thread-safe, so every call into it happens under the shell's one
``Condition``. Pipelines run the engine in worker threads that write their output under that lock;
Receive requests long-poll on the same condition (no busy loops). Output produced by psrpcore is
drained after every call into per-target queues (the pool, or one pipeline), so a Receive for
CommandId X returns only X's fragments, packed up to the client's MaxEnvelopeSize.

The things psrpcore has no public call for (fail a pipeline with an ErrorRecord, queue ready
CLIXML, read property names case-insensitively) go through ``tui.sim.psrpcore_compat``.

Pipeline input (PIPELINE_INPUT … END_OF_PIPELINE_INPUT, sent after CREATE_PIPELINE with
``NoInput=false``) is queued per run and handed to the engine as the first command's input, waiting
for the client's next Send when the queue is empty.

Nothing a client sends ever gets a Python exception's text back: a PSRP message psrpcore cannot
process is logged with its traceback here and answered with a fixed, WS-Management-worded fault.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    GetCommandMetadataEvent,
    PipelineInputEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerPipeline,
    ServerRunspacePool,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore.types import (
    CommandMetadataCount,
    CommandOrigin,
    CommandTypes,
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    InvocationInfo,
    NETException,
    ProgressRecordType,
    PSDouble,
    PSInvocationState,
    PSNoteProperty,
    PSObject,
    PSPropertyInfo,
    PSRPMessageType,
    PSSecureString,
    RemoteStreamOptions,
    RunspacePoolState,
)

from tui.catalog import CmdletInfo
from tui.sim import clixml, wsman
from tui.sim.metadata_reply import clr_type, metadata_clixml
from tui.sim.model import CmdletError, PipelineStopped, SimObject
from tui.sim.psrpcore_compat import fail_pipeline, queue_output, read_names_case_insensitively

log = logging.getLogger(__name__)

# A pipeline's worker waits while this many bytes of its output are queued but not yet received:
# a 10,000-mailbox Get-Mailbox streams at the client's pace instead of piling up in memory.
BACKPRESSURE_BYTES = 4 * 1024 * 1024

# Exchange's cmdlets come from a snap-in, not a module: their namespace is empty.
COMMAND_NAMESPACE = ""

SCRIPT_REFUSED = ("The syntax is not supported by this runspace. This might be because it is in "
                  "no-language mode.")
# What a client gets for PSRP data the server could not process (never the parser's own words).
UNREADABLE_MESSAGE = ("the PowerShell Remoting Protocol data in the request could not be processed "
                      "(malformed or unsupported message)")


class Engine(Protocol):
    """What the runspace needs from ``tui.sim.engine.SimEngine``."""

    # ``pipeline_input=`` (an iterable) is passed only when the client sends input, so a minimal engine
    # (the wire tests' scripted one) may leave it out.
    def run(self, tenant: str, commands: Sequence[tuple[str, Sequence[tuple[str | None, Any]]]],
            ctx: Any, **kwargs: Any) -> None: ...

    def command_metadata(self, patterns: Sequence[str]) -> list[CmdletInfo]: ...


class ShellGone(Exception):
    """The shell (or the command inside it) no longer exists: the invalid-selectors fault."""


class NothingYet(Exception):
    """A long-poll Receive found nothing within its OperationTimeout."""


class ProtocolFailure(Exception):
    """The client sent PSRP data psrpcore could not process."""


@dataclass(eq=False)
class _Run:
    """One pipeline (a CreatePipeline or a GetCommandMetadata) inside a shell."""

    command_id: str
    pipeline: ServerPipeline
    stop: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    finished: bool = False
    queued: int = 0              # bytes of this run's output waiting for a Receive
    inputs: deque[Any] = field(default_factory=deque)   # PIPELINE_INPUT objects not yet taken
    input_open: bool = False     # more input may come (no END_OF_PIPELINE_INPUT yet)
    invocation_info: bool = False   # RemoteStreamOptions asked for InvocationInfo on error records


class Shell:
    """A RunspacePool the simulator serves; all psrpcore access goes through ``self.cond``."""

    def __init__(self, shell_id: str, upn: str, tenant: str, engine: Engine, *, fragment_size: int,
                 idle_timeout: float = 900.0, on_cpu: Callable[[float], None] = lambda s: None,
                 on_pipeline: Callable[[Sequence[str]], None] = lambda names: None) -> None:
        self.shell_id = shell_id
        self.upn = upn
        self.tenant = tenant
        self.engine = engine
        self.cond = threading.Condition()
        self.closed = False
        self.last_activity = self.created = time.monotonic()
        self.idle_timeout = idle_timeout
        self.client_ip = ""
        self._fragment_size = max(fragment_size, 1024)
        self._on_cpu = on_cpu
        self._on_pipeline = on_pipeline    # each statement's command names, as the client sent them
        self._pool = ServerRunspacePool(application_private_data={
            "PSVersionTable": {"PSVersion": "5.1.19041.1", "PSEdition": "Desktop"},
        })
        read_names_case_insensitively(self._pool)
        self._queues: dict[str | None, deque[bytes]] = {None: deque()}
        self._runs: dict[str, _Run] = {}

    # -- requests (each called from an HTTP handler thread) ------------------------------------------------

    def open(self, creation: bytes) -> None:
        """Feed the Create's creationXml (SESSION_CAPABILITY + INIT_RUNSPACEPOOL); replies queue at once."""
        with self.cond:
            self._feed(creation)
            if self._pool.state != RunspacePoolState.Opened:
                raise ProtocolFailure("the creationXml did not open a RunspacePool")

    def command(self, command_id: str | None, first_fragment: bytes) -> str:
        """A Command: create the server pipeline, then feed the first fragment of its message."""
        with self.cond:
            self._touch()
            cid = command_id or _pipeline_id_from_fragment(first_fragment)
            if cid in self._runs:
                raise ProtocolFailure(f"command {cid} already exists")
            self._runs[cid] = _Run(cid, ServerPipeline(self._pool, uuid.UUID(cid)))
            self._queues[cid] = deque()
            self._feed(first_fragment)
            return cid

    def send(self, data: bytes) -> None:
        """A Send on stdin/pr (pool or pipeline; the PSRP header says which)."""
        with self.cond:
            self._touch()
            self._feed(data)

    def receive(self, command_id: str | None, timeout: float, max_bytes: int) -> tuple[bytes, bool]:
        """Long-poll: wait up to ``timeout`` for output of the pool or of ``command_id``.

        Returns (``<rsp:Stream>`` elements of at most ``max_bytes`` in all, at least one, done); done means
        the command finished and everything was handed out.
        Raises NothingYet after the timeout, ShellGone when the shell or command does not exist.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                self._touch()
                if self.closed:
                    raise ShellGone(self.shell_id)
                queue = self._queues.get(command_id)
                run = self._runs.get(command_id) if command_id else None
                if queue is None or (command_id and run is None):
                    raise ShellGone(command_id or self.shell_id)
                if queue:
                    data = _take(queue, max_bytes)
                    if run is not None:
                        run.queued -= len(data)
                    done = run is not None and run.finished and not queue
                    if done and run is not None:
                        self._forget(run.command_id)
                    return data, done
                if run is not None and run.finished:
                    self._forget(run.command_id)
                    return b"", True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NothingYet()
                self.cond.wait(remaining)

    def resume(self) -> None:
        """Wake a worker held by backpressure (after a Receive took output)."""
        with self.cond:
            self.cond.notify_all()

    def signal(self, command_id: str | None, stop: bool, terminate: bool) -> None:
        """ctrl_c stops the pipeline now (the shell stays usable); terminate forgets it."""
        with self.cond:
            self._touch()
            run = self._runs.get(command_id) if command_id else None
            if run is None:
                return
            if stop or terminate:
                self._stop_run(run, announce=not terminate)
            if terminate:
                self._forget(run.command_id)
            self.cond.notify_all()

    def close(self) -> None:
        """Delete / expiry / server stop: stop every pipeline and wake every waiter."""
        with self.cond:
            if self.closed:
                return
            self.closed = True
            for run in list(self._runs.values()):
                run.stop.set()
                run.finished = True
            self._runs.clear()
            self._queues.clear()
            self.cond.notify_all()

    def commands(self) -> list[tuple[str, bool]]:
        """(CommandId, finished) of the pipelines the shell still knows, for the shell enumeration."""
        with self.cond:
            return [(r.command_id, r.finished) for r in self._runs.values()]

    @property
    def running(self) -> int:
        with self.cond:
            return sum(1 for r in self._runs.values() if not r.finished)

    # -- psrpcore plumbing (caller holds self.cond) -------------------------------------------------------

    def _touch(self) -> None:
        self.last_activity = time.monotonic()

    def _feed(self, data: bytes) -> None:
        try:
            self._pool.receive_data(PSRPPayload(data, StreamType.default, None))
            while True:
                event = self._pool.next_event()
                if event is None:
                    break
                self._handle(event)
        except Exception:
            # The parser's words (a Python exception) stay in the server's log; the client reads a fault.
            log.exception("shell %s: a PSRP message could not be processed", self.shell_id)
            raise ProtocolFailure(UNREADABLE_MESSAGE) from None
        finally:
            self._drain()

    def _handle(self, event: Any) -> None:
        if isinstance(event, CreatePipelineEvent):
            run = self._runs.get(str(event.pipeline_id).upper())
            if run is not None and not run.started:
                self._start_pipeline(run, event)
        elif isinstance(event, GetCommandMetadataEvent):
            run = self._runs.get(str(event.pipeline_id).upper())
            if run is not None and not run.started:
                self._start_metadata(run, event)
        elif isinstance(event, (SetMaxRunspacesEvent, SetMinRunspacesEvent, ResetRunspaceStateEvent)):
            self._pool.runspace_availability_response(event.ci, True)
        elif isinstance(event, GetAvailableRunspacesEvent):
            busy = sum(1 for r in self._runs.values() if not r.finished)
            self._pool.runspace_availability_response(event.ci, max(self._pool.max_runspaces - busy, 0))
        elif isinstance(event, PipelineInputEvent | EndOfPipelineInputEvent):
            run = self._runs.get(str(event.pipeline_id).upper())
            if run is not None:
                if isinstance(event, PipelineInputEvent):
                    run.inputs.append(input_value(event.data))
                else:
                    run.input_open = False
                self.cond.notify_all()
        # Host responses, key exchange: psrpcore answers what needs answering.

    def _drain(self) -> None:
        while True:
            payload = self._pool.data_to_send(self._fragment_size)
            if payload is None:
                break
            key = str(payload.pipeline_id).upper() if payload.pipeline_id else None
            queue = self._queues.get(key)
            if queue is None:          # output of a pipeline the client already forgot (terminate)
                continue
            element = wsman.stream_element(key, payload.data)
            queue.append(element)
            if key is not None:
                self._runs[key].queued += len(element)
        self.cond.notify_all()

    def _forget(self, command_id: str) -> None:
        run = self._runs.pop(command_id, None)
        self._queues.pop(command_id, None)
        if run is not None and run.pipeline.pipeline_id in self._pool.pipeline_table:
            self._pool.pipeline_table.pop(run.pipeline.pipeline_id, None)

    def _stop_run(self, run: _Run, announce: bool) -> None:
        run.stop.set()
        if run.finished:
            return
        run.finished = True
        queue = self._queues.get(run.command_id)
        if queue is not None:          # pending output is discarded: the client asked to stop
            queue.clear()
            run.queued = 0
        if announce and run.pipeline.state in (PSInvocationState.Running, PSInvocationState.Stopping):
            run.pipeline.stop()
        self._drain()

    # -- pipelines -----------------------------------------------------------------------------------------

    def _input(self, run: _Run) -> Any:
        """The run's pipeline input as the worker takes it: waits for the client's next Send."""
        while True:
            with self.cond:
                while not run.inputs and run.input_open and not run.stop.is_set() and not self.closed:
                    self.cond.wait()
                if run.stop.is_set() or self.closed:
                    raise PipelineStopped()
                if not run.inputs:
                    return
                item = run.inputs.popleft()
            yield item

    def _start_pipeline(self, run: _Run, event: CreatePipelineEvent) -> None:
        run.started = True
        run.pipeline.start()
        options = int(event.pipeline.remote_stream_options or 0)
        run.invocation_info = bool(options & int(RemoteStreamOptions.AddInvocationInfoToErrorRecord))
        takes_input = not event.pipeline.no_input
        run.input_open = takes_input
        statements: list[list[tuple[str, list[tuple[str | None, Any]]]]] = [[]]
        scripted = False
        for cmd in event.pipeline.commands:
            if cmd.is_script:
                scripted = True
            statements[-1].append((str(cmd.command_text),
                                   [(str(n) if n is not None else None, plain(v)) for n, v in cmd.parameters]))
            if cmd.end_of_statement:
                statements.append([])
        statements = [s for s in statements if s]
        for statement in statements:
            self._on_pipeline([name for name, _ in statement])
        if scripted:
            # NoLanguage endpoint: a script never reaches the engine.
            self._finish(run, CmdletError(SCRIPT_REFUSED, category="ParserError", error_id="ScriptsNotAllowed",
                                          exception_type="System.Management.Automation.ParseException"))
            return
        ctx = _Context(self, run)

        def work() -> None:
            for i, statement in enumerate(statements):
                # Input goes to the first statement, as PowerShell.Invoke(input) gives it to the first command.
                if takes_input and i == 0:
                    self.engine.run(self.tenant, statement, ctx, pipeline_input=self._input(run))
                else:
                    self.engine.run(self.tenant, statement, ctx)

        self._spawn(run, work)

    def _start_metadata(self, run: _Run, event: GetCommandMetadataEvent) -> None:
        run.started = True
        run.pipeline.start()
        request = event.pipeline
        patterns = [str(n) for n in (request.name or ["*"])]
        ctx = _Context(self, run)

        def answer() -> None:
            cmdlets = self.engine.command_metadata(patterns)
            wanted = int(request.command_type) if request.command_type is not None else int(CommandTypes.All)
            if not wanted & int(CommandTypes.Cmdlet):
                cmdlets = []
            if request.namespace and not any(fnmatch.fnmatch(COMMAND_NAMESPACE, str(ns))
                                             for ns in request.namespace):
                cmdlets = []
            count = CommandMetadataCount(Count=len(cmdlets))
            count.Count = len(cmdlets)          # psrpcore serializes the constructor's Count twice
            ctx.write(count)
            for cmdlet in cmdlets:
                ctx.check_stopped()
                ctx.queue(metadata_clixml(cmdlet))

        self._spawn(run, answer)

    def _spawn(self, run: _Run, work: Callable[[], object]) -> None:
        def main() -> None:
            cpu = time.thread_time()
            outcome: CmdletError | None = None
            try:
                work()
            except PipelineStopped:
                pass
            except CmdletError as err:
                outcome = err
            except Exception:
                log.exception("simulator pipeline %s failed", run.command_id)
                outcome = CmdletError("The simulator failed to run this command (internal error).",
                                      error_id="SimulatorInternalError",
                                      exception_type="System.InvalidOperationException")
            finally:
                with self.cond:
                    if not run.stop.is_set():
                        self._finish(run, outcome, run.invocation_info)
                self._on_cpu(time.thread_time() - cpu)

        threading.Thread(target=main, name=f"sim-pipeline-{run.command_id[:8]}", daemon=True).start()

    def _finish(self, run: _Run, error: CmdletError | None, invocation_info: bool = False) -> None:
        """Completed, or Failed with an ErrorRecord (caller holds the lock)."""
        if run.finished or self.closed:
            return
        run.finished = True
        if run.pipeline.state == PSInvocationState.Running:
            if error is None:
                run.pipeline.complete()
            else:
                fail_pipeline(run.pipeline, error_record(error, invocation_info))
        self._drain()

    def _emit(self, run: _Run, write: Callable[[ServerPipeline], None], *, stop_raises: bool) -> None:
        """Write to a pipeline's streams from its worker, waiting out backpressure.

        Once the pipeline is stopped, output raises PipelineStopped (the cmdlet's work ends at once);
        other streams are dropped quietly, because cmdlets write those from cleanup code too.
        """
        with self.cond:
            while run.queued > BACKPRESSURE_BYTES and not run.stop.is_set() and not self.closed:
                self.cond.wait()
            if run.stop.is_set() or run.finished or self.closed:
                if stop_raises:
                    raise PipelineStopped()
                return
            write(run.pipeline)
            self._drain()


class _Context:
    """The engine's RunContext for one run (see tui.sim.model.RunContext)."""

    def __init__(self, shell: Shell, run: _Run) -> None:
        self._shell = shell
        self._run = run
        self.account = shell.upn
        self.tenant = shell.tenant

    def write(self, value: Any) -> None:
        self._shell._emit(self._run, lambda p: p.write_output(value), stop_raises=True)

    def output(self, obj: Any) -> None:
        self.queue(clixml.dumps(obj))     # serialized outside the shell lock

    def queue(self, data: bytes) -> None:
        """Output that is CLIXML already."""
        self._shell._emit(self._run, lambda p: queue_output(p, data), stop_raises=True)

    def warning(self, text: str) -> None:
        self._shell._emit(self._run, lambda p: p.write_warning(text), stop_raises=False)

    def verbose(self, text: str) -> None:
        self._shell._emit(self._run, lambda p: p.write_verbose(text), stop_raises=False)

    def progress(self, activity: str, status: str, percent: int, record_id: int = 0,
                 completed: bool = False) -> None:
        kind = ProgressRecordType.Completed if completed else ProgressRecordType.Processing
        self._shell._emit(self._run, lambda p: p.write_progress(activity, record_id, status,
                                                                 percent_complete=percent, record_type=kind),
                          stop_raises=False)

    def error(self, err: CmdletError) -> None:
        record = error_record(err, self._run.invocation_info)
        self._shell._emit(self._run, lambda p: queue_error(p, record), stop_raises=False)

    def check_stopped(self) -> None:
        if self._run.stop.is_set() or self._shell.closed:
            raise PipelineStopped()


class _CategoryInfo(ErrorCategoryInfo):
    """ErrorCategoryInfo whose text is PowerShell's (ErrorCategoryInfo.GetMessage, the resource strings of
    ErrorCategoryStrings): ``{Category}: ({TargetName}:{TargetType}) [{Activity}], {Reason}`` — e.g.
    ``NotSpecified: (:) [Get-Mailbox], ManagementObjectNotFoundException`` as Exchange Online's errors
    show in every console. psrpcore's own text leaves out the colon after the category."""

    def __str__(self) -> str:
        return (f"{self.Category.name}: ({self.TargetName or ''}:{self.TargetType or ''}) "
                f"[{self.Activity or ''}], {self.Reason or ''}")


def error_record(err: CmdletError, invocation_info: bool = False) -> ErrorRecord:
    """An ErrorRecord as PowerShell serializes one: typed exception, category info (Activity: the cmdlet),
    error id, target and, when the pipeline's RemoteStreamOptions ask (AddInvocationInfoToErrorRecord,
    MS-PSRP 2.2.3.8), the InvocationInfo with SerializeExtendedInfo set."""
    exception = NETException(Message=err.message, HResult=-2146233087)
    exception.PSObject.type_names = list(dict.fromkeys(
        [err.exception_type, *_exception_bases(err.exception_type), "System.Exception", "System.Object"]))
    try:
        category = ErrorCategory[err.category]
    except KeyError:
        category = ErrorCategory.NotSpecified
    reason = err.exception_type.rsplit(".", 1)[-1]
    target_name = err.target or "" if err.category_target is None else err.category_target
    record = ErrorRecord(
        Exception=exception,
        CategoryInfo=_CategoryInfo(Category=category, Activity=err.command, Reason=reason, TargetName=target_name,
                                   TargetType="String" if target_name else ""),
        # An explicit CategoryInfo target stands for the TargetObject too: PowerShell derives TargetName from
        # the TargetObject, so Exchange's "(:)" means it sent none.
        TargetObject=err.target if err.category_target is None else (err.category_target or None),
        FullyQualifiedErrorId=err.error_id or reason,
        InvocationInfo=_invocation(err) if invocation_info and err.command else None,
    )
    record.serialize_extended_info = record.InvocationInfo is not None
    # psrpcore writes <ToString> without CLIXML's _xHHHH_ escapes (a control character in the message would
    # make the whole message invalid XML), so it gets the text escaped already.
    record.PSObject.to_string = clixml.escape_code_units(err.message)
    return record


def queue_error(pipeline: ServerPipeline, record: ErrorRecord) -> None:
    """Write ``record`` to the error stream as built (psrpcore's write_error would rebuild it, dropping
    the escaped ToString)."""
    if pipeline.state == PSInvocationState.Running:
        pipeline.prepare_message(record, message_type=PSRPMessageType.ErrorRecord)


def _invocation(err: CmdletError) -> InvocationInfo:
    """The InvocationInfo PowerShell attaches to a cmdlet's error: which command, where in the pipeline."""
    command = PSObject()
    command.PSObject.extended_properties = [_note(command, "Name", err.command),
                                            _note(command, "CommandType", CommandTypes.Cmdlet),
                                            _note(command, "Definition", err.command)]
    return InvocationInfo(
        BoundParameters={k: _ps_value(v) for k, v in err.bound.items()}, CommandOrigin=CommandOrigin.Runspace,
        ExpectingInput=err.pipeline_position > 1, HistoryId=1, InvocationName=err.command, Line="",
        MyCommand=command, OffsetInLine=0, PipelineLength=err.pipeline_length,
        PipelinePosition=err.pipeline_position, PositionMessage="", PSCommandPath=None, PSScriptRoot="",
        ScriptLineNumber=0, ScriptName="", UnboundArguments=[])


def _exception_bases(exception_type: str) -> list[str]:
    if exception_type in ("System.Exception", "System.Object"):
        return []
    if exception_type.startswith("System.Management.Automation.") and exception_type.endswith("Exception"):
        return ["System.Management.Automation.RuntimeException", "System.SystemException"]
    return ["System.SystemException"] if exception_type.startswith("System.") else []


def _take(queue: deque[bytes], max_bytes: int) -> bytes:
    """Whole stream elements up to ``max_bytes``, at least one."""
    parts = [queue.popleft()]
    size = len(parts[0])
    while queue and size + len(queue[0]) <= max_bytes:
        chunk = queue.popleft()
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _pipeline_id_from_fragment(fragment: bytes) -> str:
    """Pipeline id of a message whose first fragment this is (bytes 45-61, little-endian UUID)."""
    if len(fragment) < 61:
        raise ProtocolFailure("a Command without CommandId must carry a whole PSRP message header")
    return str(uuid.UUID(bytes_le=bytes(fragment[45:61]))).upper()


# -- values: SimObject → PSObject and psrpcore → plain Python ------------------------------------------------

def to_psobject(obj: SimObject) -> PSObject:
    """An output object as Exchange sends it, built from psrpcore's types: type-name chain, adapted
    properties, ToString. Output goes through the faster ``clixml.dumps``; this is its reference."""
    ps = PSObject()
    ps.PSObject.type_names = list(obj.type_names)
    props: list[PSPropertyInfo] = []
    for name, value in obj.properties.items():
        prop = PSNoteProperty(name)
        prop.set_value(_ps_value(value), ps)
        props.append(prop)
    ps.PSObject.adapted_properties = props
    ps.PSObject.to_string = obj.to_string
    return ps


def _ps_value(value: Any) -> Any:
    if isinstance(value, SimObject):
        return to_psobject(value)
    if isinstance(value, float):
        return PSDouble(value)           # psrpcore would send a bare float as Single
    if isinstance(value, (list, tuple)):
        return [_ps_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _ps_value(v) for k, v in value.items()}
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def command_metadata(cmdlet: CmdletInfo) -> PSObject:
    """One GetCommandMetadata reply object in the shape pypsrp's CommandMetadata reads (PROTOCOL.md), built
    from psrpcore's types. Replies go out as ``metadata_reply.metadata_clixml``; this is its reference."""
    ps = PSObject()
    ps.PSObject.type_names = ["Selected.System.Management.Automation.CmdletInfo",
                              "System.Management.Automation.PSCustomObject", "System.Object"]
    params = {}
    for p in cmdlet.parameters:
        meta = PSObject()
        meta.PSObject.type_names = ["System.Management.Automation.ParameterMetadata", "System.Object"]
        meta.PSObject.adapted_properties = [
            _note(meta, "Name", p.name),
            _note(meta, "ParameterType", clr_type(p.type, p.switch)),
            _note(meta, "Aliases", list(p.aliases)),
            _note(meta, "IsDynamic", False),
            _note(meta, "SwitchParameter", p.switch),
        ]
        meta.PSObject.to_string = p.name
        params[p.name] = meta
    ps.PSObject.extended_properties = [
        _note(ps, "Name", cmdlet.name),
        _note(ps, "Namespace", COMMAND_NAMESPACE),
        _note(ps, "HelpUri", ""),
        _note(ps, "CommandType", CommandTypes.Cmdlet),
        _note(ps, "ResolvedCommandName", None),
        _note(ps, "OutputType", []),
        _note(ps, "Parameters", params),
    ]
    ps.PSObject.to_string = cmdlet.name
    return ps


def _note(owner: PSObject, name: str, value: Any) -> PSNoteProperty:
    prop = PSNoteProperty(name)
    prop.set_value(value, owner)
    return prop


def input_value(value: Any) -> Any:
    """A PIPELINE_INPUT object for the engine: an object with properties becomes a SimObject (so it binds
    by property name), anything else its plain value (a string binds by value)."""
    if isinstance(value, PSObject) and not isinstance(value, str | int | float | bool | list | dict) and (
            value.PSObject.adapted_properties or value.PSObject.extended_properties):
        props = {p.name: plain(p.get_value(value)) for p in
                 [*value.PSObject.adapted_properties, *value.PSObject.extended_properties]}
        return SimObject(tuple(value.PSObject.type_names or ("System.Object",)), props,
                         str(value.PSObject.to_string or ""))
    return plain(value)


def plain(value: Any) -> Any:
    """A psrpcore-deserialized argument as plain Python (str, int, bool, float, list, dict, None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, PSSecureString):
        return "********"                # never decrypted: the engine has no use for secrets
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromtimestamp(value.timestamp(), tz=dt.UTC) if value.tzinfo else value
    if isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, PSObject):
        text = value.PSObject.to_string
        if text is not None:
            return str(text)
        props = {p.name: plain(p.get_value(value)) for p in
                 [*value.PSObject.adapted_properties, *value.PSObject.extended_properties]}
        return props
    return value
