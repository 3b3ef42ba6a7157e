"""The WSDL of the gateway's StUF service: one operation per kennisgeving it takes (answer
Bv03, fault Fo03), SOAP 1.1 and 1.2 bindings, soapAction = body namespace + '/' + element name,
types imported from the gateway's own XSDs so a client library can generate its calls."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from adapters.stuf.messages import KENNISGEVINGEN
from adapters.stuf.namespaces import BG, FX, STUF

__all__ = ["WSDL_NAMESPACE", "render_vraag_wsdl", "render_wsdl"]

WSDL_NAMESPACE = "http://www.flextensie.nl/StUF/gateway/0100"
_PREFIX = {FX: "FX", BG: "BG"}


def render_wsdl(*, address: str, xsd_base: str) -> bytes:
    """``address``: where the service answers; ``xsd_base``: URL prefix of the XSD files."""
    base = xsd_base.rstrip("/")
    messages: list[str] = []
    operations: list[str] = []
    bindings11: list[str] = []
    bindings12: list[str] = []
    for kind in KENNISGEVINGEN:
        prefix = _PREFIX[kind.namespace]
        messages.append(
            f'  <wsdl:message name="{kind.name}"><wsdl:part name="body" '
            f'element="{prefix}:{kind.name}"/></wsdl:message>'
        )
        operations.append(
            f'    <wsdl:operation name="{kind.name}">'
            f'<wsdl:input message="GW:{kind.name}"/><wsdl:output message="GW:Bv03"/>'
            f'<wsdl:fault name="fout" message="GW:Fo03"/></wsdl:operation>'
        )
        for soap, into in (("soap", bindings11), ("soap12", bindings12)):
            into.append(
                f'    <wsdl:operation name="{kind.name}">'
                f'<{soap}:operation soapAction="{kind.soap_action}" style="document"/>'
                f'<wsdl:input><{soap}:body use="literal"/></wsdl:input>'
                f'<wsdl:output><{soap}:body use="literal"/></wsdl:output>'
                f'<wsdl:fault name="fout"><{soap}:fault name="fout" use="literal"/></wsdl:fault>'
                f"</wsdl:operation>"
            )
    newline = "\n"
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:StUF="{STUF}" xmlns:FX="{FX}" xmlns:BG="{BG}" xmlns:GW="{WSDL_NAMESPACE}"
    name="FlextensieGateway" targetNamespace="{WSDL_NAMESPACE}">
  <wsdl:documentation>Flextensie gateway: StUF 03.01 kennisgevingen of the Flextensie sector
    model (kandidaat, uitkering, plaatsing) and StUF-BG 03.10 npsLk01. Every accepted message is
    answered with Bv03 after it is stored; errors with a SOAP fault holding a StUF Fo03.
    See docs/stuf.md.</wsdl:documentation>
  <wsdl:types>
    <xs:schema targetNamespace="{WSDL_NAMESPACE}">
      <xs:import namespace="{STUF}" schemaLocation={quoteattr(base + "/fx0100_msg_stuf.xsd")}/>
      <xs:import namespace="{FX}" schemaLocation={quoteattr(base + "/fx0100_msg.xsd")}/>
      <xs:import namespace="{BG}" schemaLocation={quoteattr(base + "/bg0310_nps.xsd")}/>
    </xs:schema>
  </wsdl:types>
{newline.join(messages)}
  <wsdl:message name="Bv03"><wsdl:part name="body" element="StUF:Bv03Bericht"/></wsdl:message>
  <wsdl:message name="Fo03"><wsdl:part name="body" element="StUF:Fo03Bericht"/></wsdl:message>
  <wsdl:portType name="FlextensieOntvangAsynchroon">
{newline.join(operations)}
  </wsdl:portType>
  <wsdl:binding name="FlextensieOntvangAsynchroonSoap11" type="GW:FlextensieOntvangAsynchroon">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{newline.join(bindings11)}
  </wsdl:binding>
  <wsdl:binding name="FlextensieOntvangAsynchroonSoap12" type="GW:FlextensieOntvangAsynchroon">
    <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{newline.join(bindings12)}
  </wsdl:binding>
  <wsdl:service name="FlextensieGateway">
    <wsdl:port name="Soap11" binding="GW:FlextensieOntvangAsynchroonSoap11">
      <soap:address location={quoteattr(address)}/>
    </wsdl:port>
    <wsdl:port name="Soap12" binding="GW:FlextensieOntvangAsynchroonSoap12">
      <soap12:address location={quoteattr(address)}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""
    return text.encode("utf-8")


def render_vraag_wsdl(*, address: str, xsd_base: str) -> bytes:
    """The contract a municipal service implements for the gateway's pull client: operation
    ``kandidaatLv01`` answering ``kandidaatLa01`` (fault Fo02), SOAP 1.1."""
    base = xsd_base.rstrip("/")
    action = f"{FX}/kandidaatLv01"
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:StUF="{STUF}" xmlns:FX="{FX}" xmlns:GW="{WSDL_NAMESPACE}/vraag"
    name="FlextensieVraag" targetNamespace="{WSDL_NAMESPACE}/vraag">
  <wsdl:types>
    <xs:schema targetNamespace="{WSDL_NAMESPACE}/vraag">
      <xs:import namespace="{STUF}" schemaLocation={quoteattr(base + "/fx0100_msg_stuf.xsd")}/>
      <xs:import namespace="{FX}" schemaLocation={quoteattr(base + "/fx0100_msg.xsd")}/>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="kandidaatLv01">
    <wsdl:part name="body" element="FX:kandidaatLv01"/></wsdl:message>
  <wsdl:message name="kandidaatLa01">
    <wsdl:part name="body" element="FX:kandidaatLa01"/></wsdl:message>
  <wsdl:message name="Fo02"><wsdl:part name="body" element="StUF:Fo02Bericht"/></wsdl:message>
  <wsdl:portType name="FlextensieBeantwoordVraag">
    <wsdl:operation name="kandidaatLv01"><wsdl:input message="GW:kandidaatLv01"/>
      <wsdl:output message="GW:kandidaatLa01"/><wsdl:fault name="fout" message="GW:Fo02"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="FlextensieBeantwoordVraagSoap11" type="GW:FlextensieBeantwoordVraag">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="kandidaatLv01">
      <soap:operation soapAction="{action}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
      <wsdl:fault name="fout"><soap:fault name="fout" use="literal"/></wsdl:fault>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="FlextensieBeantwoordVraag">
    <wsdl:port name="Soap11" binding="GW:FlextensieBeantwoordVraagSoap11">
      <soap:address location={quoteattr(address)}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""
    return text.encode("utf-8")
