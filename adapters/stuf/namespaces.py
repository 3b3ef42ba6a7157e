"""XML namespaces of StUF, the Flextensie sector model, StUF-BG and SOAP."""

from __future__ import annotations

__all__ = [
    "BG",
    "FX",
    "NSMAP",
    "SOAP11",
    "SOAP12",
    "STUF",
    "XSI",
    "qname",
]

STUF = "http://www.egem.nl/StUF/StUF0301"
#: The gateway's own sector model (there is no public StUF model for Flextensie).
FX = "http://www.flextensie.nl/StUF/sector/fx/0100"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

NSMAP = {"StUF": STUF, "FX": FX, "BG": BG, "xsi": XSI}


def qname(namespace: str, local: str) -> str:
    """Clark notation, as lxml names elements: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"
