"""Settings models of the StUF channels (nested in :class:`gateway.settings.Settings`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["StufPullSource"]


class StufPullSource(BaseModel):
    """A municipal SOAP service the gateway asks for its candidates (``kandidaatLv01`` ->
    ``kandidaatLa01``) because it cannot push. Changes since the last poll become canonical
    messages through the same pipeline as pushed kennisgevingen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Name of this source in metrics, /readyz and the store (stable; letters, digits, -).
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    #: The municipality client (clients.toml) whose data this is; its gemeentecode is asked for.
    client: str
    #: Where the municipal service's WSDL is.
    wsdl: str
    #: The operation to call; it takes a kandidaatLv01 and answers a kandidaatLa01.
    operation: str = "kandidaatLv01"
    #: zeep service and port to bind, when the WSDL has several.
    service: str | None = None
    port: str | None = None
    #: The municipal system as StUF ontvanger of the question.
    organisatie: str | None = None
    applicatie: Annotated[str, Field(min_length=3, max_length=50)] = "SOCIAAL-DOMEIN"
    interval_seconds: Annotated[float, Field(gt=0)] = 300.0
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
