"""The StUF channels: the SOAP service (kennisgevingen in, Bv03 or a StUF fault out), batch files
(upload and watched inbox directories) and the zeep pull client of municipal services.

Only :mod:`gateway.stuf.config` is light to import (the settings use it); the rest is wired by
:func:`gateway.stuf.service.channel` (entry point ``flexgw.channels``).
"""
