"""Catalog's products as service views need them (charging.md §10 [new]): the ActionPlans table shows each plan's
product (``ProductID`` from the plan id, D73) by name and with its ``retail_cost``."""

from omnibus.charging_gateway.readmodel.tables import ocs_products
from omnibus.contracts.catalog import ProductCloned, ProductCreated, ProductDeleted, ProductUpdated
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class ProductDirectory(BusProjection):
    name = "product_directory"
    tables = (ocs_products,)
    handles = (ProductCreated, ProductCloned, ProductUpdated, ProductDeleted)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e = event.payload
        products = rows(ocs_products)
        if isinstance(e, ProductCreated | ProductCloned):
            products.put(
                {"product_id": e.product_id, "product_name": e.product_name, "retail_cost": str(e.retail_cost)}
            )
        elif isinstance(e, ProductUpdated):
            changes = {k: str(e.changes[k]) for k in ("product_name", "retail_cost") if k in e.changes}
            if changes:
                products.update(e.product_id, **changes)
        elif isinstance(e, ProductDeleted):
            products.delete(e.product_id)
