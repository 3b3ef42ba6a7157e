"""Replay: put failed (or published) messages back on their way, in bulk and safely.

- ``republish``: the stored canonical message goes back into the outbox with the same
  CloudEvent id; consumers dedupe on it.
- ``retranslate``: the current adapter runs again on the stored raw payload (after a profile
  or mapping fix); the result is a new message with a new id and ``supersedes`` = the old id,
  and the old message becomes ``replayed``.

A job freezes its selection when created (one item per message, in seq order), then a runner
processes the items in that order, chunk by chunk, each chunk in one transaction with the
item outcomes, so a job never touches a message twice.
"""

from gateway.ops.replay.model import ELIGIBLE, ReplayKind, Selection

__all__ = ["ELIGIBLE", "ReplayKind", "Selection"]
