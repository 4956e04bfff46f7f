"""Real local servers from PyPI wheels: the platform's stack without Docker.

`LocalStack` runs the whole platform stack for `bizosaas up`; the single-server
classes serve the test harness. Everything listens on 127.0.0.1 only.
"""

from bizosaas.stack._process import StackError, free_tcp_port
from bizosaas.stack.launcher import (
    APP_ROLE,
    OWNER_ROLE,
    LocalStack,
    ManagedServer,
    ProgressCallback,
    StackPorts,
    StackUrls,
)
from bizosaas.stack.openbao import EmbeddedOpenBao
from bizosaas.stack.postgres import EmbeddedPostgres
from bizosaas.stack.provision import drop_database, provision_database, with_credentials
from bizosaas.stack.temporal import EmbeddedTemporal, temporal_binary
from bizosaas.stack.valkey import EmbeddedValkey

__all__ = [
    "APP_ROLE",
    "OWNER_ROLE",
    "EmbeddedOpenBao",
    "EmbeddedPostgres",
    "EmbeddedTemporal",
    "EmbeddedValkey",
    "LocalStack",
    "ManagedServer",
    "ProgressCallback",
    "StackError",
    "StackPorts",
    "StackUrls",
    "drop_database",
    "free_tcp_port",
    "provision_database",
    "temporal_binary",
    "with_credentials",
]
