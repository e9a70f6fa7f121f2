"""The failure e-mail of D67 as data: the recipients, subject and text of the notice a failed job sends.

Not sent from here: the shared Mailjet adapter (customer communications) sends it. The seam is the published
``provisioning.ProvisionFailed`` event, which carries everything the notice needs (provision_id, play, customer,
product, service, failed step and task, the error, what was undone); a reaction on it calls
``failure_notice(event, settings.failure_list)`` and hands the result to the adapter. ``provisioning.failure_list``
comes from crm_config.yaml (``ResolvedProvisioning.failure_list``).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from omnibus.contracts.provisioning import ProvisionFailed


@dataclass(frozen=True)
class FailureNotice:
    recipients: tuple[str, ...]
    subject: str
    text: str


def failure_notice(
    event: ProvisionFailed, failure_list: Sequence[str], customer_name: str | None = None
) -> FailureNotice | None:
    """The notice to send, or None when nobody is on the failure list."""
    recipients = tuple(dict.fromkeys(a.strip() for a in failure_list if a and a.strip()))
    if not recipients:
        return None
    customer = f"{customer_name} ({event.customer_id})" if customer_name else str(event.customer_id)
    lines = [
        f"Provision {event.provision_id} failed.",
        f"Play: {event.provisioning_play or '-'}",
        f"Customer: {customer}",
        f"Product: {event.product_id or '-'}   Service: {event.service_id or '-'}",
        f"Failed step: {event.failed_step or '-'}   Failed task: {event.failed_task or '-'}",
        f"Error: {event.error}",
    ]
    if event.compensations:
        lines.append("Rolled back:")
        lines += [f"  {c.action}: {c.outcome}" + (f" ({c.reason})" if c.reason else "") for c in event.compensations]
    subject = f"Provisioning failed: job {event.provision_id} ({event.provisioning_play or 'play'}) for {customer}"
    return FailureNotice(recipients, subject, "\n".join(lines))
