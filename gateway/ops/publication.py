"""Keeps a message's publication in its history before ops move it on.

The relay does not write a history event per publication (that would double its writes on
the expected path): a published message's ``published_at``, partition and offset are that
entry. When ops move a published message to another state (failed downstream, replayed,
re-queued), that entry would be overwritten by the next publication, so it is copied into
``message_events`` first.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.states import MessageState
from gateway.store.history import copy_events
from gateway.store.tables import message_events, messages

__all__ = ["keep_publication"]


async def keep_publication(conn: AsyncConnection, seqs: Sequence[int]) -> None:
    if not seqs:
        return
    published = select(
        messages.c.id,
        messages.c.inbound_id,
        messages.c.published_at,
        literal(MessageState.PUBLISHED.value),
        literal("relay"),
        (
            "partition "
            + messages.c.kafka_partition.cast(message_events.c.detail.type)
            + ", offset "
            + messages.c.kafka_offset.cast(message_events.c.detail.type)
        ),
    ).where(
        messages.c.seq.in_(seqs),
        messages.c.state == MessageState.PUBLISHED.value,
        messages.c.published_at.is_not(None),
    )
    await copy_events(conn, published)
