"""REST API of ops under ``/v1/ops``: viewers read; admins replay, hold, release, purge,
reveal and decide on quarantined upload rows. Every route needs an ops API key
(``Authorization: Bearer``)."""

from fastapi import APIRouter

from gateway.ops.api import audit, holds, messages, quarantine, replays

__all__ = ["router"]

router = APIRouter(prefix="/v1/ops")
router.include_router(messages.router)
router.include_router(replays.router)
router.include_router(holds.router)
router.include_router(quarantine.router)
router.include_router(audit.router)
