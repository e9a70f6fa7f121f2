"""What a provider's failure means for the message: can it be tried again, and might it have gone out anyway."""


class DeliveryError(Exception):
    """The provider did not confirm the message.

    ``retryable``: False when the provider refused this message as sent (e.g. an invalid address: the same request
    would be refused again); True when the failure is not the message's (unreachable, rate-limited, 5xx, bad
    credentials that an operator can fix). ``maybe_sent``: the request may have been taken before the failure (a
    read timeout, a connection lost after the request was written), so sending again could deliver it twice.
    """

    def __init__(self, message: str, *, retryable: bool, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.maybe_sent = maybe_sent
