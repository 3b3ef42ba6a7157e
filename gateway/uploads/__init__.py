"""Uploads from staffing agencies: payroll CSV and SETU files of any size, checked in the
background, all-or-nothing by default, with a row-level error report (docs/uploads.md)."""

from gateway.uploads.inbox import InboxWatcher
from gateway.uploads.metrics import UploadMetrics
from gateway.uploads.model import Upload
from gateway.uploads.processor import UploadProcessor
from gateway.uploads.service import Accepted, UploadService, UploadSource
from gateway.uploads.wiring import UploadChannel, build_upload_channel

__all__ = [
    "Accepted",
    "InboxWatcher",
    "Upload",
    "UploadChannel",
    "UploadMetrics",
    "UploadProcessor",
    "UploadService",
    "UploadSource",
    "build_upload_channel",
]
