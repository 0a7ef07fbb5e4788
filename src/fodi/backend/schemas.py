"""What every backend schema shares: camelCase JSON names and exact decimal inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """camelCase on the wire (``createdAt``, ``imageUrl``), snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ApiInput(ApiModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, str_strip_whitespace=True
    )


# Money in major units with at most two decimals (450.5); stored as minor units.
Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]
# Stock quantities with at most three decimals (0.125 kg); stored as thousandths.
Quantity = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=3)]
PositiveQuantity = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=3)]


class Message(BaseModel):
    message: str
