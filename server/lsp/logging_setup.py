"""Logging goes to stderr, and our own records also to the client as window/logMessage."""

from __future__ import annotations

import logging
import os
import sys

from lsprotocol import types

LEVELS = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning, logging.INFO: types.MessageType.Info}


class ClientLogHandler(logging.Handler):
    """Forwards records to window/logMessage through the event loop (records come from worker threads too)."""

    def __init__(self, server, level=logging.INFO):
        super().__init__(level)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        try:
            kind = LEVELS.get(record.levelno, types.MessageType.Log if record.levelno < logging.INFO else types.MessageType.Error)
            params = types.LogMessageParams(type=kind, message=self.format(record))
            self.server.call_in_loop(self.server.window_log_message, params)
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


def configure(server=None) -> None:
    level = os.environ.get("REFACTORCODER_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pygls logs every message body at INFO: slow, noisy, and it would include document text.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    for name in ("server", "models", "sandbox"):
        logging.getLogger(name).setLevel(level)
    if server is not None:
        # The client shows stderr in the same output channel as window/logMessage: keep stderr to
        # warnings and errors so INFO lines are not shown twice.
        for stderr_handler in logging.getLogger().handlers:
            stderr_handler.setLevel(logging.WARNING)
        handler = ClientLogHandler(server)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        for name in ("server", "models"):
            logging.getLogger(name).addHandler(handler)
