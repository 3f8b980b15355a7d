"""The language server object: pygls' LanguageServer plus RefactorCoder's state, and the
assembly of the feature modules (one module per feature, each with `setup(server)`)."""

from __future__ import annotations

import logging
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from server import __version__
from server.lsp.document_cache import DocumentCache
from server.lsp.jobs import JobManager
from server.lsp.pipeline_holder import PipelineFactory, PipelineHolder
from server.lsp.results_store import ResultStore
from server.lsp.verify_jobs import SandboxHolder

logger = logging.getLogger(__name__)


@attrs.define
class MalformedRequest:
    """A request whose params did not match the method's LSP type."""

    id: Any
    method: str
    error: JsonRpcException
    jsonrpc: str = "2.0"


class RefactorCoderProtocol(LanguageServerProtocol):
    """Two changes to pygls' protocol:

    * pygls drops a request whose params fail to deserialize (logging it, answering nothing), so the
      client would wait forever; we answer it with the InvalidParams error instead.
    * pygls cancels the *outer* executeCommand future on `$/cancelRequest`, answering
      "RequestCancelled" while our background job keeps running. For our jobs we instead set the
      job's cancel event and let the command answer normally with status "cancelled".
    """

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                logger.warning("malformed %s request answered with %s", data.get("method"), type(exc).__name__)
                return MalformedRequest(id=data["id"], method=data["method"], error=exc)
            raise

    def handle_message(self, message):
        if isinstance(message, MalformedRequest):
            self._send_response(message.id, None, message.error.to_response_error())
            return
        super().handle_message(message)

    def _handle_cancel_notification(self, msg_id):
        server = self._server
        if isinstance(server, RefactorCoderServer) and server.jobs.cancel_by_request_id(msg_id):
            return
        super()._handle_cancel_notification(msg_id)


class RefactorCoderServer(LanguageServer):
    def __init__(self, pipeline_factory: PipelineFactory | None = None):
        super().__init__(
            "refactorcoder",
            __version__,
            protocol_cls=RefactorCoderProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.doc_cache = DocumentCache()
        self.pipelines = PipelineHolder(pipeline_factory, notify=self.notify_user_threadsafe)
        self.jobs = JobManager(self)
        self.results = ResultStore()
        self.sandboxes = SandboxHolder()
        self.lens_providers: list = []  # (server, doc) -> [CodeLens]: other features' lenses (e.g. hot functions)
        self.client_options: dict = {}  # initializationOptions beside the settings (e.g. {"jobProgress": "notifications"})

    def shutdown(self):
        """Also on a lost connection or `exit` without `shutdown`: running jobs must stop, or their
        non-daemon worker threads would keep the process alive until generation ends."""
        self.jobs.shutdown()
        self.sandboxes.close()
        super().shutdown()

    # -- messages to the user; safe to call from worker threads -----------------------------------------------

    def notify_user_threadsafe(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """The model layer's `notify` callback: say it once, as window/showMessage."""
        self.call_in_loop(
            self.window_show_message, types.ShowMessageParams(type=kind, message=f"RefactorCoder: {message}")
        )

    def call_in_loop(self, fn, *args) -> None:
        loop = self.jobs.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(fn, *args)

    def client_supports(self, *path: str) -> bool:
        """Walk the client capabilities, e.g. client_supports("window", "work_done_progress")."""
        node = getattr(self.protocol, "client_capabilities", None)
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)


class OneLineRefusals(logging.Filter):
    """pygls logs every JsonRpcException a handler raises with its traceback at ERROR. A refusal the user
    caused (stale proposal, bad arguments) is not a bug: one WARNING line with the message instead."""

    CODES = (-32803, -32602)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, JsonRpcException) and getattr(exc, "code", None) in self.CODES:
            record.msg, record.args = "request refused: %s", (getattr(exc, "message", None) or str(exc),)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def create_server(pipeline_factory: PipelineFactory | None = None) -> RefactorCoderServer:
    from server.lsp.features import (code_actions, commands, hot_functions, inline_results, report_data,
                                     report_request, settings_sync)

    logging.getLogger("pygls.protocol.json_rpc").addFilter(OneLineRefusals())
    server = RefactorCoderServer(pipeline_factory)
    for feature in (settings_sync, code_actions, commands, inline_results, report_request, report_data,
                    hot_functions):
        feature.setup(server)
    return server
