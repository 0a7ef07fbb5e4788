"""Staff figures and the inventory: stats, ingredients, stock movements."""

from __future__ import annotations

from typing import Any

from fodi.gateway.client.auth import _rows
from fodi.gateway.client.models import Ingredient, IngredientMovement, Stats
from fodi.gateway.client.transport import Transport


class AdminClient:
    def __init__(self, transport: Transport, token: str | None) -> None:
        self._t = transport
        self._token = token

    async def get_stats(self) -> Stats:
        data = await self._t.request("GET", "/admin/stats", token=self._token)
        return Stats.model_validate(data)

    async def get_ingredients(self) -> list[Ingredient]:
        data = await self._t.request("GET", "/admin/ingredients", token=self._token)
        return [Ingredient.model_validate(row) for row in _rows(data, "ingredients")]

    async def create_ingredient(self, fields: dict[str, Any]) -> Ingredient:
        data = await self._t.request(
            "POST", "/admin/ingredients", token=self._token, json_body=fields
        )
        return Ingredient.model_validate(data)

    async def update_ingredient(self, ingredient_id: str, fields: dict[str, Any]) -> Ingredient:
        data = await self._t.request(
            "PUT", f"/admin/ingredients/{ingredient_id}", token=self._token, json_body=fields
        )
        return Ingredient.model_validate(data)

    async def delete_ingredient(self, ingredient_id: str) -> str:
        data = await self._t.request(
            "DELETE", f"/admin/ingredients/{ingredient_id}", token=self._token
        )
        return str((data or {}).get("message", "Ingredient deleted successfully"))

    async def get_ingredient_movements(
        self, ingredient_id: str, *, page: int | None = None, limit: int | None = None
    ) -> list[IngredientMovement]:
        params = {k: v for k, v in (("page", page), ("limit", limit)) if v is not None}
        data = await self._t.request(
            "GET",
            f"/admin/ingredients/{ingredient_id}/movements",
            token=self._token,
            params=params,
        )
        return [IngredientMovement.model_validate(row) for row in _rows(data, "movements")]
