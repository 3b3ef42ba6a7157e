"""SOAP 1.1 and 1.2 envelopes around StUF messages: open a request, write a reply or a fault.

The fault code follows the StUF plek: ``Client``/``Server`` in SOAP 1.1, ``Sender``/``Receiver``
in SOAP 1.2; the fault detail carries the Fo02/Fo03 body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

from adapters.base import Issue, TranslationError
from adapters.stuf.namespaces import SOAP11, SOAP12, qname

__all__ = ["SoapVersion", "content_type", "envelope", "fault_envelope", "open_envelope"]

SoapVersion = Literal["1.1", "1.2"]
_NAMESPACE: dict[SoapVersion, str] = {"1.1": SOAP11, "1.2": SOAP12}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class SoapRequest:
    version: SoapVersion
    message: etree._Element


def open_envelope(root: etree._Element) -> SoapRequest:
    """The single body element of a SOAP envelope."""
    for version, namespace in _NAMESPACE.items():
        if root.tag == qname(namespace, "Envelope"):
            bodies = root.findall(qname(namespace, "Body"))
            if len(bodies) != 1:
                # A second Body would be dropped unread: refuse instead of answering for half.
                raise _error(
                    f"the SOAP Envelope must hold exactly one Body; it has {len(bodies)}",
                    _line(bodies[1] if len(bodies) > 1 else root),
                )
            children = [c for c in bodies[0] if isinstance(c.tag, str)]
            if len(children) != 1:
                raise _error(
                    "the SOAP Body must hold exactly one StUF message element; "
                    f"it has {len(children)}",
                    _line(children[1] if len(children) > 1 else bodies[0]),
                )
            return SoapRequest(version, children[0])
    raise _error("not a SOAP envelope: expected soap:Envelope of SOAP 1.1 or 1.2", _line(root))


def content_type(version: SoapVersion) -> str:
    return "text/xml; charset=utf-8" if version == "1.1" else "application/soap+xml; charset=utf-8"


def envelope(version: SoapVersion, body_element: etree._Element) -> bytes:
    namespace = _NAMESPACE[version]
    root = etree.Element(qname(namespace, "Envelope"), nsmap={"soap": namespace})
    body = etree.SubElement(root, qname(namespace, "Body"))
    body.append(body_element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def fault_envelope(
    version: SoapVersion, *, plek: str, reason: str, detail: etree._Element
) -> bytes:
    namespace = _NAMESPACE[version]
    root = etree.Element(qname(namespace, "Envelope"), nsmap={"soap": namespace})
    body = etree.SubElement(root, qname(namespace, "Body"))
    fault = etree.SubElement(body, qname(namespace, "Fault"))
    if version == "1.1":
        code = etree.SubElement(fault, "faultcode")
        code.text = f"soap:{'Client' if plek == 'client' else 'Server'}"
        etree.SubElement(fault, "faultstring").text = reason
        etree.SubElement(fault, "detail").append(detail)
    else:
        code = etree.SubElement(fault, qname(namespace, "Code"))
        value = etree.SubElement(code, qname(namespace, "Value"))
        value.text = f"soap:{'Sender' if plek == 'client' else 'Receiver'}"
        text = etree.SubElement(
            etree.SubElement(fault, qname(namespace, "Reason")), qname(namespace, "Text")
        )
        text.set(_XML_LANG, "nl")
        text.text = reason
        etree.SubElement(fault, qname(namespace, "Detail")).append(detail)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None


def _error(message: str, line: int | None) -> TranslationError:
    return TranslationError(
        [Issue(where=f"line {line}" if line else "/", code="not-soap", message=message)],
        code="not-soap",
    )
