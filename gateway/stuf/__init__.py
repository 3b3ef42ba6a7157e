"""The StUF channels: the SOAP service (kennisgevingen in, Bv03 or a StUF fault out), batch files
(upload and watched inbox directories) and the zeep pull client of municipal services.

A plugin of the core: it is wired by :func:`gateway.stuf.service.channel` (entry point
``flexgw.channels``), and nothing in the core imports it (docs/architecture.md).
"""
