"""The route table: HTTP path prefix -> owning service (api-conventions.md §1).

Both the embedded single-process runner and the deployed gateway are generated from this table.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str


ROUTES: tuple[Route, ...] = (
    Route("/crm/auth", "identity"),
    Route("/auth", "identity"),
    Route("/2fa", "identity"),
    Route("/crm/api-keys", "identity"),
    Route("/crm/customer", "customers"),
    Route("/crm/customers", "customers"),
    Route("/crm/contact", "customers"),
    Route("/crm/site", "customers"),
    Route("/crm/attribute", "customers"),
    Route("/crm/tag", "customers"),
    Route("/crm/service", "customers"),
    Route("/crm/activity", "customers"),
    Route("/crm/communication", "customers"),
    Route("/utilities/search_everything", "customers"),
    Route("/crm/product", "catalog"),
    Route("/crm/inventory", "catalog"),
    Route("/crm/inventory_template", "catalog"),
    Route("/crm/provision", "provisioning"),
    Route("/crm/transaction", "billing"),
    Route("/crm/invoice", "billing"),
    Route("/invoice/pdf", "billing"),
    Route("/crm/stripe", "billing"),
    Route("/oam/topup_dongle", "billing"),
    Route("/oam/topup_intent", "billing"),
    Route("/crm/ocs", "charging-gateway"),
    Route("/crm/oam", "charging-gateway"),
    Route("/oam/usage", "charging-gateway"),
    Route("/jsonrpc", "charging-gateway"),  # the CGRateS JSON-RPC relay for playbooks (charging.md §4.6)
    Route("/crm/cbc", "cbc"),
)


def service_for_path(path: str, routes: tuple[Route, ...] = ROUTES) -> str | None:
    """The service owning ``path``: the longest prefix that matches whole path segments."""
    best: Route | None = None
    for route in routes:
        if path == route.prefix or path.startswith(route.prefix + "/"):
            if best is None or len(route.prefix) > len(best.prefix):
                best = route
    return best.service if best else None
