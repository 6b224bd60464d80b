"""``netprov worker``: one process serving the provisioning workflow and its activities.

It polls two task queues: the shared one (``temporal_task_queue``: workflow tasks, and the
``begin`` of every run) and its own (``<shared>-<host>-<pid>-<random>``: the stages of the
runs it began). ``concurrency`` bounds the runs it holds at once; a ``begin`` that finds every
slot taken is retried by Temporal, usually on another worker.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from netprov.engine.activities import Activities, ProvisionerFor
from netprov.engine.workflow import ProvisionWorkflow
from netprov.errors import ConfigError
from netprov.settings import Settings

STICKY = timedelta(seconds=3)


def own_queue(settings: Settings) -> str:
    """This process's own task queue name."""
    return f"{settings.temporal_task_queue}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def address(settings: Settings) -> str:
    """The Temporal frontend's address, or a one-sentence error naming the setting."""
    if not settings.temporal_address:
        raise ConfigError(
            "NETPROV_TEMPORAL_ADDRESS: not set; a worker needs a Temporal server "
            "(host:port; for the lab: netprov lab up engine)"
        )
    return settings.temporal_address


async def serve(
    settings: Settings,
    provisioner_for: ProvisionerFor,
    concurrency: int,
    on_ready: Callable[[str], None] = lambda queue: None,
) -> None:
    """Run the worker until cancelled (Ctrl-C, SIGTERM)."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address(settings), namespace=settings.temporal_namespace)
    queue = own_queue(settings)
    acts = Activities(provisioner_for, queue, concurrency)
    with ThreadPoolExecutor(max_workers=3 * concurrency + 2, thread_name_prefix="netprov-act") as pool:
        shared = Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=[ProvisionWorkflow],
            # a workflow task waiting for a lost (dead, hung) worker's cache goes to any worker
            # after this (a replay from the history) instead of the SDK's 10 s
            sticky_queue_schedule_to_start_timeout=STICKY,
            activities=[acts.begin],
            activity_executor=pool,
            max_concurrent_activities=concurrency,
        )
        own = Worker(
            client,
            task_queue=queue,
            activities=[acts.stage, acts.undo, acts.failed, acts.finish],
            activity_executor=pool,
            max_concurrent_activities=2 * concurrency + 2,
        )
        try:
            async with shared, own:
                on_ready(queue)
                await asyncio.Event().wait()
        finally:
            acts.close_all()
