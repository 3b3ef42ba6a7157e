"""StUF 03.01: the Flextensie sector model (kandidaat, uitkering, plaatsing), the StUF-BG
npsLk01 person notification, SOAP envelopes, replies (Bv03, Fo02, Fo03), batch files."""

from adapters.stuf.translate import StufAdapter

adapter = StufAdapter()

__all__ = ["StufAdapter", "adapter"]
