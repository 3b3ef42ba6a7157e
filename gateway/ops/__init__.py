"""Operations: find, inspect, hold and replay messages; the audit log; the dead-letter consumer;
the retention purge; the REST API under ``/v1/ops``, the ``flexgw messages`` CLI and the web
console under ``/ops``. See docs/operations.md."""

__all__: list[str] = []
